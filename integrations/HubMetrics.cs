using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CompanyHub.Integrations;

/// <summary>
/// The app's metrics (the <see cref="Name"/> meter): approvals, proposals, LLM calls and the calls to outside services.
/// Tags are names, types, statuses and counts only — never a token, an address, a subject or a body.
/// The LLM's follow OpenTelemetry's GenAI conventions (<c>gen_ai.client.*</c>).
/// </summary>
public static class HubMetrics
{
    /// <summary>The name of the app's meter.</summary>
    public const string Name = "CompanyHub";

    public const string ProposalTypeTag = "companyhub.proposal.type";

    private static readonly Meter Meter = new(Name);

    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = Serverless.DurableTask.DurableTaskTelemetry.SecondsBuckets };

    private static readonly Counter<long> ApprovalsCreated = Meter.CreateCounter<long>(
        "companyhub.approvals.created", "{proposal}", "Proposals that began waiting for a decision, by type.");

    private static readonly Counter<long> ApprovalsDecided = Meter.CreateCounter<long>(
        "companyhub.approvals.decided", "{decision}", "Decisions on proposals, by type and decision (approved, edited, rejected, cancelled).");

    private static readonly Counter<long> ApprovalsExpired = Meter.CreateCounter<long>(
        "companyhub.approvals.expired", "{proposal}", "Proposals that expired undecided, by type.");

    private static readonly Counter<long> ProposalsExecuted = Meter.CreateCounter<long>(
        "companyhub.proposals.executed", "{proposal}", "Approved proposals whose action ran to the end, by type and outcome (succeeded, failed).");

    private static readonly Histogram<double> LlmDuration = Meter.CreateHistogram<double>(
        "gen_ai.client.operation.duration", "s", "Duration of LLM calls (chat completions), by model and error type.", tags: null, Seconds);

    private static readonly Histogram<long> LlmTokens = Meter.CreateHistogram<long>(
        "gen_ai.client.token.usage", "{token}", "Tokens used per LLM call, by model and token type (input, output).", tags: null,
        new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576] });

    private static readonly Histogram<double> ServiceCallDuration = Meter.CreateHistogram<double>(
        "companyhub.service.call.duration", "s", "Calls to outside services (Google, Notion, Attio, the LLM), by service, operation and answer status.", tags: null, Seconds);

    /// <summary>Records what a step of an approval did (its audit outcome: created, edited, approved, rejected, cancelled, expired, succeeded, failed).</summary>
    public static void ApprovalStep(string type, string outcome)
    {
        var typeTag = new KeyValuePair<string, object?>(ProposalTypeTag, type);
        switch (outcome)
        {
            case "created":
                ApprovalsCreated.Add(1, typeTag);
                break;
            case "expired":
                ApprovalsExpired.Add(1, typeTag);
                break;
            case "approved" or "edited" or "rejected" or "cancelled":
                ApprovalsDecided.Add(1, typeTag, new KeyValuePair<string, object?>("companyhub.decision", outcome));
                break;
            case "succeeded" or "failed":
                ProposalsExecuted.Add(1, typeTag, new KeyValuePair<string, object?>("companyhub.outcome", outcome));
                break;
            default:
                break;
        }
    }

    /// <summary>Records one LLM call: its duration, the error type when it failed, and the tokens the endpoint reported.</summary>
    public static void LlmCall(string model, TimeSpan elapsed, string? errorType, int? inputTokens, int? outputTokens)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", "chat" },
            { "gen_ai.request.model", model },
        };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        LlmDuration.Record(elapsed.TotalSeconds, tags);
        if (inputTokens is { } input)
        {
            var t = tags;
            t.Add("gen_ai.token.type", "input");
            LlmTokens.Record(input, t);
        }

        if (outputTokens is { } output)
        {
            var t = tags;
            t.Add("gen_ai.token.type", "output");
            LlmTokens.Record(output, t);
        }
    }

    /// <summary>Records one call to an outside service: its answer's status code, or <paramref name="errorType"/> when none came.</summary>
    internal static void ServiceCall(string service, string operation, TimeSpan elapsed, int? statusCode, string? errorType)
    {
        var tags = new TagList
        {
            { "companyhub.service", service },
            { "companyhub.operation", operation },
        };
        if (statusCode is { } status)
        {
            tags.Add("http.response.status_code", status);
        }

        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        ServiceCallDuration.Record(elapsed.TotalSeconds, tags);
    }
}
