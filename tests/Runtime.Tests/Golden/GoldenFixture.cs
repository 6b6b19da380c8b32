using System.Text.Encodings.Web;
using System.Text.Json;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Sqlite;

namespace Serverless.Runtime.Tests.Golden;

/// <summary>A recorded history as checked in: each event exactly as the SQLite store serializes it.</summary>
internal sealed record GoldenFixture(string Orchestrator, string InstanceId, string? Output, IReadOnlyList<JsonElement> History)
{
    // Relaxed escaping keeps the embedded JSON payloads readable in review ("\"x\"" rather than "\u0022x\u0022").
    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static GoldenFixture FromHistory(string orchestrator, string instanceId, string? output, IEnumerable<HistoryEvent> history) =>
        new(orchestrator, instanceId, output, history.Select(e => JsonDocument.Parse(SqliteOrchestrationStore.SerializeEvent(e)).RootElement.Clone()).ToList());

    public static GoldenFixture Load(string path) =>
        JsonSerializer.Deserialize<GoldenFixture>(File.ReadAllText(path), FileOptions) ?? throw new InvalidDataException($"{path} is empty.");

    public IReadOnlyList<HistoryEvent> Events() => History.Select(e => SqliteOrchestrationStore.DeserializeEvent(e.GetRawText())).ToList();

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, FileOptions) + "\n");
}
