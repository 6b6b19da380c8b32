using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;

namespace CompanyHub.Tests;

/// <summary>
/// A comparable picture of everything a hub keeps: every orchestration instance (status, input, output, custom status,
/// history length), every entity's state, the store's queues, and every row of the app's own SQLite databases (audit
/// log, conversations, ...). Two dumps are equal exactly when nothing was stored in between.
/// </summary>
public static class StoreDump
{
    /// <summary>Takes a dump; <paramref name="ignoreRow"/> drops app-database rows that are expected to change (table, row text).</summary>
    public static async Task<IReadOnlyList<string>> TakeAsync(HubServer hub, Func<string, string, bool>? ignoreRow = null)
    {
        var lines = new List<string>();
        var client = hub.Client;
        await foreach (var i in client.GetAllInstancesAsync(new OrchestrationQuery { FetchInputsAndOutputs = true }))
        {
            var history = await client.GetOrchestrationHistoryAsync(i.InstanceId);
            lines.Add($"instance {i.InstanceId} {i.Name} {i.RuntimeStatus} updated={i.LastUpdatedAt:O} history={history.Count} input={i.SerializedInput} output={i.SerializedOutput} status={i.SerializedCustomStatus}");
        }

        await foreach (var e in client.Entities.GetAllEntitiesAsync(new EntityQuery { IncludeState = true }))
        {
            lines.Add($"entity {e.Id} modified={e.LastModifiedTime:O} backlog={e.BacklogQueueSize} state={e.State?.Value}");
        }

        var health = await hub.Services.GetRequiredService<Serverless.DurableTask.Client.DurableStoreDiagnostics>().GetHealthAsync();
        lines.Add($"store pending messages={health.PendingMessages} activities={health.PendingActivities} dead letters={health.DeadLetters} instances={health.Instances}");

        foreach (var file in Directory.GetFiles(hub.Directory, "*.db").Order(StringComparer.Ordinal))
        {
            lines.AddRange(await DumpDatabaseAsync(file, ignoreRow));
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    /// <summary>Lines in one dump and not the other, marked <c>-</c> (gone) or <c>+</c> (new).</summary>
    public static IReadOnlyList<string> Difference(IReadOnlyList<string> before, IReadOnlyList<string> after) =>
        [.. before.Except(after, StringComparer.Ordinal).Select(l => "- " + l), .. after.Except(before, StringComparer.Ordinal).Select(l => "+ " + l)];

    /// <summary>Takes dumps until two in a row are equal (the hub finished what it was doing), and returns that dump.</summary>
    public static async Task<IReadOnlyList<string>> SettledAsync(HubServer hub, Func<string, string, bool>? ignoreRow = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        var last = await TakeAsync(hub, ignoreRow);
        while (true)
        {
            await Task.Delay(300);
            var next = await TakeAsync(hub, ignoreRow);
            if (next.SequenceEqual(last, StringComparer.Ordinal))
            {
                return next;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("The hub's state kept changing while it should have been idle:\n" + string.Join('\n', Difference(last, next)));
            }

            last = next;
        }
    }

    private static async Task<List<string>> DumpDatabaseAsync(string file, Func<string, string, bool>? ignoreRow)
    {
        var lines = new List<string>();
        var name = Path.GetFileName(file);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        foreach (var table in tables)
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var row = string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(c => reader.IsDBNull(c) ? "null" : Convert.ToString(reader.GetValue(c) is byte[] bytes ? Convert.ToHexString(bytes) : reader.GetValue(c), System.Globalization.CultureInfo.InvariantCulture)));
                if (ignoreRow?.Invoke(table, row) != true)
                {
                    lines.Add($"{name} {table}: {row}");
                }
            }
        }

        return lines;
    }
}
