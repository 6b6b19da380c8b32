using System.Text;
using System.Text.Json.Nodes;
using CompanyHub.Fakes;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace CompanyHub.Tests;

/// <summary>One span as an OpenTelemetry collector received it (ids in lowercase hex; attribute values as text).</summary>
public sealed record CollectedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, string Scope, IReadOnlyDictionary<string, string> Attributes)
{
    public string? Attribute(string key) => Attributes.TryGetValue(key, out var value) ? value : null;

    public override string ToString() => $"{Name} ({Scope}) {SpanId} <- {(ParentSpanId.Length == 0 ? "root" : ParentSpanId)}";
}

/// <summary>
/// A fake OpenTelemetry collector: OTLP/HTTP with protobuf bodies (<c>POST /v1/traces</c>; <c>/v1/metrics</c> and
/// <c>/v1/logs</c> are accepted and kept as bytes). The spans are read from <c>ExportTraceServiceRequest</c> with
/// Google.Protobuf's <see cref="CodedInputStream"/>, field by field as opentelemetry-proto numbers them
/// (the generated OpenTelemetry.Proto types are not in the registry here).
/// </summary>
public sealed class FakeCollector : FakeServer
{
    private readonly Lock _gate = new();
    private readonly List<byte[]> _bodies = [];
    private readonly List<CollectedSpan> _spans = [];

    private FakeCollector()
    {
    }

    /// <summary>Gets every span received so far.</summary>
    public IReadOnlyList<CollectedSpan> Spans
    {
        get
        {
            lock (_gate)
            {
                return [.. _spans];
            }
        }
    }

    /// <summary>Gets every request body received so far, as sent (for scanning the bytes themselves).</summary>
    public IReadOnlyList<byte[]> Bodies
    {
        get
        {
            lock (_gate)
            {
                return [.. _bodies];
            }
        }
    }

    /// <summary>The hub's settings that send its traces here.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings() =>
    [
        new("OTEL_EXPORTER_OTLP_ENDPOINT", Url),
        new("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    ];

    /// <summary>
    /// Has the hub export what it has (its tracer provider's flush), then waits until what arrived satisfies
    /// <paramref name="arrived"/>: a flush can return while the exporter's last request is still on its way.
    /// </summary>
    public async Task FlushAsync(HubServer hub, Func<IReadOnlyList<CollectedSpan>, bool> arrived)
    {
        Assert.True(hub.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
        await HubFlows.WaitUntilAsync(() => Task.FromResult(arrived(Spans)), () => $"the spans to reach the collector; it has {Spans.Count}: {string.Join(", ", Spans.Select(s => s.Name).Distinct())}");
    }

    public static async Task<FakeCollector> StartAsync()
    {
        var collector = new FakeCollector();
        await collector.StartServerAsync(CancellationToken.None);
        return collector;
    }

    protected override void MapRoutes(WebApplication app)
    {
        app.MapPost("/v1/traces", async (HttpContext http) => await ReceiveAsync(http, traces: true)).WithName("traces");
        app.MapPost("/v1/metrics", async (HttpContext http) => await ReceiveAsync(http, traces: false)).WithName("metrics");
        app.MapPost("/v1/logs", async (HttpContext http) => await ReceiveAsync(http, traces: false)).WithName("logs");
    }

    protected override JsonObject ErrorBody(string endpoint, int statusCode, string message, string? code = null) => new() { ["message"] = message };

    private async Task<IResult> ReceiveAsync(HttpContext http, bool traces)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        var body = buffer.ToArray();
        var spans = traces ? ReadTraces(body) : [];
        lock (_gate)
        {
            _bodies.Add(body);
            _spans.AddRange(spans);
        }

        // An empty ExportTraceServiceResponse.
        return Results.Bytes([], "application/x-protobuf");
    }

    /// <summary>ExportTraceServiceRequest: 1 resource_spans → 2 scope_spans → (1 scope → 1 name; 2 spans).</summary>
    public static List<CollectedSpan> ReadTraces(byte[] body)
    {
        var spans = new List<CollectedSpan>();
        foreach (var resourceSpans in Fields(body, 1))
        {
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                var scope = Fields(scopeSpans, 1).Select(s => Text(s, 1)).FirstOrDefault() ?? string.Empty;
                spans.AddRange(Fields(scopeSpans, 2).Select(s => ReadSpan(s, scope)));
            }
        }

        return spans;
    }

    /// <summary>Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes (KeyValue: 1 key, 2 AnyValue).</summary>
    private static CollectedSpan ReadSpan(byte[] span, string scope)
    {
        string traceId = string.Empty, spanId = string.Empty, parent = string.Empty, name = string.Empty;
        var kind = 0;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var input = new CodedInputStream(span);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    traceId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray());
                    break;
                case 2:
                    spanId = Convert.ToHexStringLower(input.ReadBytes().ToByteArray());
                    break;
                case 4:
                    parent = Convert.ToHexStringLower(input.ReadBytes().ToByteArray());
                    break;
                case 5:
                    name = input.ReadString();
                    break;
                case 6:
                    kind = input.ReadEnum();
                    break;
                case 9:
                    var kv = input.ReadBytes().ToByteArray();
                    attributes[Text(kv, 1) ?? string.Empty] = Fields(kv, 2).Select(AnyValue).FirstOrDefault() ?? string.Empty;
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return new CollectedSpan(traceId, spanId, parent, name, kind, scope, attributes);
    }

    /// <summary>AnyValue: 1 string, 2 bool, 3 int64, 4 double; anything else as its bytes in UTF-8.</summary>
    private static string AnyValue(byte[] value)
    {
        var input = new CodedInputStream(value);
        var tag = input.ReadTag();
        return WireFormat.GetTagFieldNumber(tag) switch
        {
            0 => string.Empty,
            1 => input.ReadString(),
            2 => input.ReadBool() ? "true" : "false",
            3 => input.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            4 => input.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => Encoding.UTF8.GetString(value),
        };
    }

    /// <summary>The length-delimited values of field <paramref name="number"/> of a message.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var values = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                values.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return values;
    }

    private static string? Text(byte[] message, int number) => Fields(message, number).Select(b => Encoding.UTF8.GetString(b)).FirstOrDefault();
}
