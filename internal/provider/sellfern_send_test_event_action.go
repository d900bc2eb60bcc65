package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/seed/terraform-provider-webhooks/internal/safetext"
	"github.com/seed/terraform-provider-webhooks/internal/sellfern"
)

var _ action.ActionWithConfigure = &sellfernSendTestEventAction{}

// NewSellfernSendTestEventAction is the sellfern_send_test_event action.
func NewSellfernSendTestEventAction() action.Action { return &sellfernSendTestEventAction{} }

type sellfernSendTestEventAction struct {
	actionBase[*sellfern.Client]
}

type sellfernSendTestEventModel struct {
	WebhookID types.String `tfsdk:"webhook_id"`
}

func (a *sellfernSendTestEventAction) Metadata(_ context.Context, _ action.MetadataRequest, resp *action.MetadataResponse) {
	// Named after the service, like the resources: see the provider page.
	resp.TypeName = "sellfern_send_test_event"
}

func (a *sellfernSendTestEventAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Sends one test event to the endpoint of a Sellfern webhook and reports what the endpoint " +
			"answered, so that a configuration can prove an endpoint works right after creating or changing it. The " +
			"action fails when the endpoint answered with a status other than 2xx or with an error, when Sellfern " +
			"refuses the test, and when the webhook does not exist. It changes nothing in Terraform's state. Needs " +
			"Terraform 1.14 or later.",
		Attributes: map[string]schema.Attribute{
			"webhook_id": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The id of the webhook to test, like `wh_abc123`: `caller.id` in an action " +
					"triggered by a `sellfern_webhook` (Terraform 1.16 and later), or a reference such as " +
					"`sellfern_webhook.orders.id`. Checked at plan time when known: it must not be empty, contain " +
					"white space, control characters or `/`, or be `.` or `..`.",
				Validators: []validator.String{sellfernWebhookID()},
			},
		},
	}
}

// Invoke sends exactly one test call. A call whose outcome is unknown (no answer, a 5xx) is never repeated, since
// Sellfern may have sent the event already: the client's error says so, and it becomes this action's error. A 429
// sent nothing, so the client sends it again within the call's bound.
func (a *sellfernSendTestEventAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	defer a.warnArrivals(&resp.Diagnostics)
	var model sellfernSendTestEventModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := model.WebhookID.ValueString()
	// Validation saw the id only if it was known at plan time; a reference to a new webhook is known only now.
	if problem := sellfernIDProblem(id); problem != "" {
		resp.Diagnostics.AddAttributeError(path.Root("webhook_id"), "Invalid webhook_id", problem)
		return
	}
	progress := func(format string, args ...any) {
		resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf(format, args...)})
	}

	progress("Sending a test event to Sellfern webhook %s", id)
	sent := time.Now()
	answer, err := a.client.SendTest(ctx, id)
	switch {
	case sellfern.IsNotFound(err):
		resp.Diagnostics.AddAttributeError(path.Root("webhook_id"), "Sellfern webhook not found",
			fmt.Sprintf("Sellfern has no webhook with id %q in this account, so no test event was sent.", id))
		return
	case err != nil:
		addAPIError(&resp.Diagnostics, "Could not send a Sellfern test event", err)
		return
	}

	t := testOutcome{webhookID: id, answer: answer, delivery: answer.Delivery}
	if t.delivery == nil {
		// The answer does not say what the endpoint answered: Sellfern's list of deliveries may. It is read once.
		progress("Sellfern's answer to the test call (HTTP %d) names no delivery; looking for it among the "+
			"webhook's deliveries", answer.HTTPStatus)
		deliveries, err := a.client.ListDeliveries(ctx, id)
		switch {
		case err != nil && ctx.Err() != nil:
			resp.Diagnostics.AddError("Sellfern test event interrupted",
				fmt.Sprintf("Sellfern answered the test call for webhook %q (HTTP %d), but the look-up of its "+
					"delivery was interrupted, so what the endpoint answered is not known. The test call was not "+
					"repeated.", id, answer.HTTPStatus))
			return
		case err != nil:
			t.lookupErr = err
		default:
			t.looked, t.delivery = true, sellfern.DeliveryOfTest(deliveries, sent)
		}
	}
	t.report(progress, &resp.Diagnostics)
	tflog.Info(ctx, "Sent a Sellfern test event", t.logFields())
}

// testOutcome is what one invocation learned: the test call's answer and, from it or from the deliveries list,
// the delivery it made.
type testOutcome struct {
	webhookID string
	answer    *sellfern.TestResult
	delivery  *sellfern.Delivery
	looked    bool  // the delivery was looked for in the deliveries list
	lookupErr error // the look-up failed
}

// report tells the outcome as progress, and as an error when the test failed: Sellfern refused it, or the endpoint
// answered with a status other than 2xx or with an error. When no delivery was found the endpoint's answer is
// unknown: that is a warning, since the event may yet be delivered, and repeating the test would send another.
func (t testOutcome) report(progress func(string, ...any), diags *diag.Diagnostics) {
	if t.delivery != nil {
		progress("%s", t.deliveryLine())
	}
	switch {
	case t.answer.Refused:
		detail := fmt.Sprintf("Sellfern answered the test call for webhook %q with HTTP %d and \"success\": false%s.",
			t.webhookID, t.answer.HTTPStatus, errorSuffix(t.answer.Code, t.answer.Message))
		if t.delivery != nil {
			detail += " " + t.deliveryLine() + "."
		}
		diags.AddError("Sellfern test event failed", detail)
	case t.delivery == nil:
		detail := fmt.Sprintf("Sellfern accepted the test call for webhook %q (HTTP %d), but its answer names no "+
			"delivery", t.webhookID, t.answer.HTTPStatus)
		if t.lookupErr != nil {
			detail += ", and looking for one among the webhook's deliveries failed: " + t.lookupErr.Error() + "."
		} else {
			detail += ", and the webhook's deliveries hold none made since the call."
		}
		detail += " What the endpoint answered is not known yet; the sellfern_webhook_deliveries data source shows " +
			"it once Sellfern has recorded it. The test call was not repeated."
		progress("Sellfern webhook %s: no delivery found for the test event; the endpoint's answer is not known", t.webhookID)
		diags.AddWarning("Sellfern test event sent, outcome unknown", detail)
	case !t.delivery.Worked():
		diags.AddError("Webhook endpoint failed the test event",
			fmt.Sprintf("%s. Sellfern sent the test event, and the endpoint did not accept it: check that it is "+
				"reachable from Sellfern and that its handler answers 2xx.", t.deliveryLine()))
	}
}

// deliveryLine says which webhook and delivery, and what the endpoint answered.
func (t testOutcome) deliveryLine() string {
	d := t.delivery
	from := ""
	if t.looked {
		from = ", found among its deliveries"
	}
	id := safetext.Shorten(d.ID, 80)
	if id == "" {
		id = "(no id)"
	}
	answered := fmt.Sprintf("the endpoint answered HTTP %d", d.StatusCode)
	if d.StatusCode == 0 {
		answered = "the endpoint gave no HTTP answer"
	}
	return fmt.Sprintf("Sellfern webhook %s, test delivery %s%s: %s%s", t.webhookID, id, from, answered,
		errorSuffix("", d.Error))
}

func (t testOutcome) logFields() map[string]any {
	fields := map[string]any{"webhook_id": t.webhookID, "http_status": t.answer.HTTPStatus, "refused": t.answer.Refused}
	if t.delivery != nil {
		fields["delivery_id"] = t.delivery.ID
		fields["delivery_status_code"] = t.delivery.StatusCode
	}
	return fields
}

// errorSuffix renders an error code and text a server gave, as ": code: text", or "" when there is neither.
func errorSuffix(code, text string) string {
	code, text = safetext.Shorten(code, 60), safetext.Shorten(text, 500)
	switch {
	case code != "" && text != "":
		return ": " + code + ": " + text
	case code != "":
		return ": " + code
	case text != "":
		return ": " + text
	}
	return ""
}
