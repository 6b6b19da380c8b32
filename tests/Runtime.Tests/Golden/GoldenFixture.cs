using System.Text.Encodings.Web;
using System.Text.Json;
using Google.Protobuf;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.Runtime.Tests.Golden;

/// <summary>
/// A recorded history as checked in: each event exactly as the stores keep it, a protobuf <see cref="P.HistoryEvent"/>
/// (Microsoft's Durable Task wire format), written as protobuf JSON so a review can read it.
/// </summary>
internal sealed record GoldenFixture(string Orchestrator, string InstanceId, string? Output, IReadOnlyList<JsonElement> History)
{
    // Relaxed escaping keeps the embedded JSON payloads readable in review ("\"x\"" rather than "\u0022x\u0022").
    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static GoldenFixture FromHistory(string orchestrator, string instanceId, string? output, IEnumerable<P.HistoryEvent> history) =>
        new(orchestrator, instanceId, output, history.Select(e => JsonDocument.Parse(JsonFormatter.Default.Format(e)).RootElement.Clone()).ToList());

    public static GoldenFixture Load(string path) =>
        JsonSerializer.Deserialize<GoldenFixture>(File.ReadAllText(path), FileOptions) ?? throw new InvalidDataException($"{path} is empty.");

    public IReadOnlyList<P.HistoryEvent> Events() => History.Select(e => JsonParser.Default.Parse<P.HistoryEvent>(e.GetRawText())).ToList();

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, FileOptions) + "\n");
}
