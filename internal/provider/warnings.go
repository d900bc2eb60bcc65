package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/seed/terraform-provider-webhooks/internal/safetext"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
	"github.com/seed/terraform-provider-webhooks/internal/selsup"
)

// The warnings a create, and the reads after it, give about webhooks identical to one this configuration manages.
// The provider never deletes or takes such a webhook on a guess: it names it, with its id, and says what to do.
// Each warning carries the ids it names in its summary, since Terraform folds warnings with the same summary into
// one ("and N more similar warnings") and would hide the others' ids.

// serviceWords is how the warnings speak of one service.
type serviceWords struct {
	service string // "Sellfern"
	same    string // what identical means: "url and events"
	// keyed says the service takes an Idempotency-Key on its creates.
	keyed bool
	// stray is the next step for an identical webhook that no configuration manages.
	stray string
	// replacement names the replacements that leave an identical webhook beside the new one for a moment.
	replacement string
}

var (
	sellfernWords = serviceWords{service: "Sellfern", same: "url and events", keyed: true,
		stray:       "delete it, since its signing secret cannot be recovered (or import it, to manage it without a secret)",
		replacement: "-replace, or create_before_destroy as in a rotation of the secret"}
	selsupWords = serviceWords{service: "SelSup", same: "name, url and types",
		stray:       "import it into the configuration that should manage it (every attribute can be imported), or delete it",
		replacement: "-replace, or any change with create_before_destroy"}
)

// whose is the step that comes before any other with an identical webhook: finding out whether a state records it.
const whose = "Find out whose it is (terraform state list, in the configurations that use this endpoint): if no " +
	"configuration manages it, "

// ids escapes ids from a service for a message.
func ids(list []string) string {
	out := make([]string, len(list))
	for i, id := range list {
		out[i] = safetext.Escape(id)
	}
	return strings.Join(out, ", ")
}

// reportCreate gives the warnings of a create: the identical webhooks it found, those that appeared while it was in
// doubt (or that it could not look for), and records the watch that the reads after it keep.
func reportCreate(ctx context.Context, diags *diag.Diagnostics, private privateSetter, w serviceWords, c createSeen) {
	warnIdentical(diags, w, c.url, c.id, c.identical)
	if !c.inDoubt {
		return
	}
	known := append([]string{c.id}, c.beside...)
	if c.checkErr != nil {
		warnUnchecked(diags, w, c.id, c.checkErr)
		known = append([]string{c.id}, c.identical...)
	}
	warnAppeared(diags, w, c.url, c.id, c.key, c.appeared)
	diags.Append(watchCreate(ctx, private, known)...)
}

// createSeen is what a create saw, in ids: see the clients' Created.
type createSeen struct {
	url, id, key        string
	identical, appeared []string
	inDoubt             bool
	beside              []string
	checkErr            error
}

// warnIdentical tells, after a create, of the webhooks with the same endpoint and events that the account held
// already and that this run neither made nor deleted. The provider cannot see which of them a state records: a
// configuration may hold identical webhooks on purpose (count or for_each over one endpoint, a replacement), or one
// may be left by an interrupted apply, made by hand, or another configuration's. It never touches them.
func warnIdentical(diags *diag.Diagnostics, w serviceWords, url, madeID string, identical []string) {
	if len(identical) == 0 {
		return
	}
	diags.AddWarning(fmt.Sprintf("%s webhooks identical to the new %s already exist: %s", w.service, safetext.Escape(madeID),
		ids(identical)),
		fmt.Sprintf("Before creating webhook %s (%s), the account already held %d webhook(s) with the same %s that this "+
			"run did not make: %s. The provider left them alone; it cannot see which of them a state records.\n\n"+
			"A configuration may manage identical webhooks on purpose: count or for_each over one endpoint, or a "+
			"replacement (%s, where the webhook being replaced is deleted next). If they are this configuration's "+
			"own, there is nothing to do. Otherwise (one left by an interrupted or killed apply, made by hand, or "+
			"another configuration's) each of them receives every event too. %s%s.", safetext.Escape(madeID),
			safetext.Escape(url), len(identical), w.same, ids(identical), w.replacement, whose, w.stray))
}

// warnAppeared tells of the identical webhooks that appeared while a create was in doubt (an answer was lost) and
// that no state of this run records: a second webhook the create made, or another configuration's.
func warnAppeared(diags *diag.Diagnostics, w serviceWords, url, madeID, key string, appeared []string) {
	how := fmt.Sprintf("the create was settled by re-sending its request with the same Idempotency-Key, %s", key)
	either := fmt.Sprintf("Either %s did not honour the key (a proxy in front of it that drops the header), and it is a "+
		"second webhook this create made, whose signing secret never reached the provider; or another configuration "+
		"created an identical webhook at that moment.", w.service)
	if !w.keyed {
		how = fmt.Sprintf("%s takes no idempotency key, so the provider looked for what the lost request made in a list", w.service)
		either = fmt.Sprintf("Either %s stored a request of this create late, after the list that looked for it, and it "+
			"is a second webhook this create made; or another configuration created an identical webhook at that moment.",
			w.service)
	}
	for _, id := range appeared {
		diags.AddWarning(fmt.Sprintf("%s webhook %s appeared beside %s while its create was in doubt", w.service,
			safetext.Escape(id), safetext.Escape(madeID)),
			fmt.Sprintf("An answer to the create of webhook %s (%s) was lost, and %s. Meanwhile webhook %s, with the same "+
				"%s, appeared, and no state of this run records it. %s The provider never deletes a webhook it cannot "+
				"prove it made. %s%s.", safetext.Escape(madeID), safetext.Escape(url), how, safetext.Escape(id), w.same,
				either, whose, w.stray))
	}
}

// warnAdopted tells that a SelSup create adopted a webhook it found in a list after its answer was lost: SelSup
// takes no idempotency key, so nothing proves that the webhook is this create's.
func warnAdopted(diags *diag.Diagnostics, url, id string) {
	diags.AddWarning(fmt.Sprintf("SelSup webhook %s adopted after its create's answer was lost", safetext.Escape(id)),
		fmt.Sprintf("The answer to the request that created this webhook (%s) was lost. A list taken afterwards showed "+
			"one webhook with the same name, url and types that was not there before, %s, and the provider took it "+
			"for this create's own: SelSup takes no idempotency key, so nothing proves it. If another configuration "+
			"created an identical webhook at that same moment, both configurations now manage %s, and destroying "+
			"either deletes it for both. Check that no other state records %s (terraform state list, in the "+
			"configurations that use this endpoint); if one does, remove it from this one (terraform state rm "+
			"ADDRESS) and apply again, which creates this configuration's own.", safetext.Escape(url),
			safetext.Escape(id), safetext.Escape(id), safetext.Escape(id)))
}

// warnUnchecked tells that a create in doubt could not look for identical webhooks beside it.
func warnUnchecked(diags *diag.Diagnostics, w serviceWords, madeID string, err error) {
	diags.AddWarning(fmt.Sprintf("Could not look beside %s webhook %s after its create was in doubt", w.service,
		safetext.Escape(madeID)),
		fmt.Sprintf("An answer to the create of webhook %s was lost, and the create was settled, but the list that "+
			"would show whether an identical webhook (same %s) appeared meanwhile failed: %v. The next refresh of "+
			"this webhook (terraform plan) looks again, and names any it finds.", safetext.Escape(madeID), w.same, err))
}

// warnArrival tells of a webhook identical to one this configuration created while an answer was lost, which
// appeared after that create had ended: a request the service stored late, or another configuration's.
func warnArrival(diags *diag.Diagnostics, w serviceWords, beside, id string) {
	late := fmt.Sprintf("%s stored a request of that create late, after the create had ended (a proxy that dropped its "+
		"Idempotency-Key, or a service that ignored it)", w.service)
	if !w.keyed {
		late = fmt.Sprintf("%s stored a request of that create late, after the list that looked for it (it takes no "+
			"idempotency key)", w.service)
	}
	diags.AddWarning(fmt.Sprintf("%s webhook %s appeared beside %s after its create", w.service, safetext.Escape(id),
		safetext.Escape(beside)),
		fmt.Sprintf("Webhook %s has the same %s as webhook %s, which this configuration created while an answer of "+
			"%s was lost, and it was not there when that create ended. Either %s, and %s receives every event a second "+
			"time; or another configuration created an identical webhook since (or this one did, on purpose, with "+
			"count or for_each: then there is nothing to do). %s%s.", safetext.Escape(id), w.same, safetext.Escape(beside),
			w.service, late, safetext.Escape(id), whose, w.stray))
}

// warnArrivals names the webhooks that this process's lists found beside a create that was in doubt, after that
// create had ended: each once, in the operation running now. Whatever took the list that found one (a later
// create, its recovery, a data source, a delete that confirms a webhook is gone), the first read that meets such a
// webhook is the one that names it, so every operation that may list calls this when it ends, whatever its outcome.
// The next plan's refresh names it once more (checkWatch): the create's private state, which records what is known,
// is the created resource's, and the operation that met the webhook may be another's.
func (b *serviceBase[C]) warnArrivals(diags *diag.Diagnostics) {
	switch c := any(b.client).(type) {
	case *sellfern.Client:
		if c == nil {
			return
		}
		for _, a := range c.Arrivals() {
			warnArrival(diags, sellfernWords, a.Beside, a.Item.ID)
		}
	case *selsup.Client:
		if c == nil {
			return
		}
		for _, a := range c.Arrivals() {
			warnArrival(diags, selsupWords, a.Beside, selsup.FormatID(a.Item.ID))
		}
	}
}

// createWatch is what a create in doubt leaves in its resource's private state, so that the reads after it (the
// next plan's refresh) name an identical webhook that appears beside it later: At is when the create ended, Known
// the identical webhooks there then, its own included.
type createWatch struct {
	At    time.Time `json:"at"`
	Known []string  `json:"known"`
}

const (
	// createWatchKey is the private state key of a createWatch.
	createWatchKey = "create_in_doubt"
	// createWatchLife is how long the reads look: a service that stores a request late does so within seconds or
	// minutes, and one that keeps idempotency keys (Sellfern) keeps them a day; later, an identical webhook is no
	// create's late one.
	createWatchLife = 24 * time.Hour
)

// privateGetter and privateSetter are the two halves of a resource's private state (the framework's
// *privatestate.ProviderData, which is internal).
type (
	privateGetter interface {
		GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	}
	privateSetter interface {
		SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
	}
)

// watchCreate records a create in doubt in its resource's private state.
func watchCreate(ctx context.Context, private privateSetter, known []string) diag.Diagnostics {
	value, err := json.Marshal(createWatch{At: time.Now().UTC(), Known: known})
	if err != nil {
		var diags diag.Diagnostics
		diags.AddError("Could not record the create", err.Error())
		return diags
	}
	return private.SetKey(ctx, createWatchKey, value)
}

// checkWatch, in a read of webhook own, names in a warning every identical webhook (identicalTo lists them) that
// appeared since the create the private state records was in doubt, and records it as known, so that the reads
// name each once. A watch older than createWatchLife is dropped. A failed list says nothing here: the read reports it.
func checkWatch(ctx context.Context, from privateGetter, to privateSetter, diags *diag.Diagnostics, w serviceWords,
	own string, identicalTo func() ([]string, error)) {
	raw, getDiags := from.GetKey(ctx, createWatchKey)
	diags.Append(getDiags...)
	var watch createWatch
	if len(raw) == 0 || json.Unmarshal(raw, &watch) != nil {
		return
	}
	if time.Since(watch.At) > createWatchLife {
		diags.Append(to.SetKey(ctx, createWatchKey, nil)...)
		return
	}
	found, err := identicalTo()
	if err != nil {
		return
	}
	changed := false
	for _, id := range found {
		if !slices.Contains(watch.Known, id) {
			warnArrival(diags, w, own, id)
			watch.Known = append(watch.Known, id)
			changed = true
		}
	}
	if changed {
		value, _ := json.Marshal(watch)
		diags.Append(to.SetKey(ctx, createWatchKey, value)...)
	}
}
