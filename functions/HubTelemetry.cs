using System.Diagnostics;
using System.Diagnostics.Metrics;
using CompanyHub.Integrations;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serverless.DurableTask;
using Serverless.DurableTask.Client;
using Serverless.Functions.Security;

namespace CompanyHub.Functions;

/// <summary>
/// Metrics and traces (OpenTelemetry). Metrics are always collected and served to the admin at <see cref="MetricsPath"/>
/// in the Prometheus text format. Traces are collected and exported over OTLP only when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads its other <c>OTEL_EXPORTER_OTLP_*</c> settings itself).
/// </summary>
public static class HubTelemetry
{
    /// <summary>Where the admin scrapes the metrics.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The setting that turns trace export on.</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The name the hub reports itself under (resource attribute <c>service.name</c>) unless <c>OTEL_SERVICE_NAME</c> says otherwise.</summary>
    public const string ServiceName = "company-hub";

    /// <summary>Registers the meters, the Prometheus exporter and, with an OTLP endpoint, tracing.</summary>
    /// <param name="builder">The app.</param>
    /// <param name="publicBaseUrl">The hub's own address: requests to it are its server spans' business, not outgoing calls.</param>
    public static void AddHubTelemetry(this WebApplicationBuilder builder, string? publicBaseUrl)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var configuration = builder.Configuration;
        var otlp = configuration[OtlpEndpointSetting];
        if (otlp is { Length: > 0 } && !Uri.TryCreate(otlp, UriKind.Absolute, out _))
        {
            throw new Security.KeyConfigurationException($"{OtlpEndpointSetting} must be an absolute URL, e.g. http://collector:4318 (got '{otlp}').");
        }

        builder.Services.AddSingleton<PendingApprovals>();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : ServiceName))
            .WithMetrics(metrics => metrics
                .AddMeter(DurableTaskTelemetry.Name, HubMetrics.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        if (otlp is { Length: > 0 })
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(DurableTaskTelemetry.Name, "Microsoft.DurableTask")
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !IsQuiet(http.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddProcessor(new TelemetryScrubber(publicBaseUrl))
                .AddOtlpExporter());
        }
    }

    /// <summary>Serves <see cref="MetricsPath"/> to the admin (admin token or host key) and nobody else, and starts the gauges.</summary>
    public static void MapHubMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Services.GetRequiredService<DurableStoreMetrics>();
        app.Services.GetRequiredService<PendingApprovals>();
        app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null, configureBranchedPipeline: branch => branch.RequireAdmin(), optionsName: null)
            .WithMetadata(new Microsoft.AspNetCore.Routing.HttpMethodMetadata(["GET"]));
    }

    /// <summary>Requests not worth a span: the scrape, the probes, the dashboard's files.</summary>
    private static bool IsQuiet(PathString path) =>
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz")
        || path.StartsWithSegments("/js") || path.StartsWithSegments("/css") || path.StartsWithSegments("/favicon.svg");

    /// <summary>
    /// Removes what could carry a secret from every span before it is exported: query strings (OAuth codes, dashboard
    /// tokens) and raw paths (invite codes), which become the route template. Not exported at all: spans of the store's
    /// own polling that belong to no trace, and outgoing requests to the hub's own address (a client in the same process
    /// asking for a page whose path is an invite or a token link; the hub's server span of it is kept, scrubbed).
    /// </summary>
    internal sealed class TelemetryScrubber(string? publicBaseUrl) : BaseProcessor<Activity>
    {
        private static readonly string[] Dropped = ["url.query", "http.url", "http.target", "http.request.header.authorization", "http.request.header.cookie"];

        private readonly string? _ownAuthority = Uri.TryCreate(publicBaseUrl, UriKind.Absolute, out var own) ? own.Authority : null;

        public override void OnEnd(Activity data)
        {
            ArgumentNullException.ThrowIfNull(data);
            if ((data.Source.Name == "Npgsql" && data.ParentSpanId == default)
                || (data.Kind == ActivityKind.Client && data.GetTagItem("url.full") is string target && IsOwn(target)))
            {
                // Not exported: an exporter skips a span that is not recorded.
                data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                return;
            }

            foreach (var tag in Dropped)
            {
                if (data.GetTagItem(tag) is not null)
                {
                    data.SetTag(tag, null);
                }
            }

            if (data.GetTagItem("url.full") is string full)
            {
                data.SetTag("url.full", WithoutSecrets(full));
            }

            if (data.GetTagItem("url.path") is string)
            {
                data.SetTag("url.path", data.GetTagItem("http.route") as string);
            }
        }

        private bool IsOwn(string url) =>
            _ownAuthority is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, _ownAuthority, StringComparison.OrdinalIgnoreCase);

        /// <summary>The URL without its user info, query and fragment.</summary>
        internal static string WithoutSecrets(string url) =>
            Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) : string.Empty;
    }

    /// <summary>
    /// Proposals waiting for a decision, by type: an observable gauge read at each scrape from the
    /// running approval orchestrations (instance ids <c>p-…</c>), each read as the proposals API reads it.
    /// </summary>
    internal sealed class PendingApprovals : IDisposable
    {
        private readonly Meter _meter;
        private readonly DurableTaskClient _client;

        public PendingApprovals(IMeterFactory meters, DurableTaskClient client)
        {
            _client = client;
            _meter = meters.Create(HubMetrics.Name);
            _meter.CreateObservableGauge("companyhub.approvals.pending", Read, "{proposal}", "Proposals waiting for a decision, by type.");
        }

        public void Dispose() => _meter.Dispose();

        /// <summary>One query per collection (a scrape); nothing is reported while the store cannot answer.</summary>
        private Measurement<int>[] Read()
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                return CountAsync(timeout.Token).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException or ObjectDisposedException or System.Data.Common.DbException or StoreUnavailableException)
            {
                return [];
            }
        }

        private async Task<Measurement<int>[]> CountAsync(CancellationToken cancellationToken)
        {
            var counts = ProposalTypes.All.ToDictionary(t => t, _ => 0, StringComparer.Ordinal);
            var query = new OrchestrationQuery
            {
                InstanceIdPrefix = "p-",
                Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running],
                FetchInputsAndOutputs = true,
                PageSize = 500,
            };
            await foreach (var instance in _client.GetAllInstancesAsync(query).WithCancellation(cancellationToken))
            {
                if (ProposalFunctions.ViewOf(instance) is { Status: ProposalStatus.Pending } view)
                {
                    counts[view.Type] = counts.GetValueOrDefault(view.Type) + 1;
                }
            }

            return counts.Select(c => new Measurement<int>(c.Value, new KeyValuePair<string, object?>(HubMetrics.ProposalTypeTag, c.Key))).ToArray();
        }
    }
}
