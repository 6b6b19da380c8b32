using System.Data.Common;
using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Engine;

/// <summary>What the SQL stores share: the instance columns and how a row becomes an <see cref="InstanceRecord"/>.</summary>
internal static class StoreRows
{
    /// <summary>The error type of an instance failed, or an entity call answered, because its work was dead-lettered.</summary>
    public const string PoisonMessageFailureType = "Serverless.DurableTask.PoisonMessage";

    /// <summary>The dead letter's reason when an entity starts an orchestration under an id that is still running.</summary>
    public static string StartRefused(string starter, string conflict) =>
        $"'{starter}' started an orchestration that was not created: {conflict}";

    /// <summary>The instance table's columns, in the order <see cref="ReadInstance"/> reads them.</summary>
    public const string InstanceColumns = "instance_id, execution_id, name, is_entity, runtime_status, input, output, custom_status, failure, entity_state, created_at, last_updated_at, completed_at, parent_instance_id, parent_task_id, history_count, entity_scheduler";

    private static readonly OrchestrationRuntimeStatus[] Terminal = [OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated];

    /// <summary>Reads a row selected with <see cref="InstanceColumns"/>; <paramref name="time"/> reads the store's time columns.</summary>
    public static InstanceRecord ReadInstance(DbDataReader reader, Func<DbDataReader, int, DateTime> time, JsonSerializerOptions json)
    {
        string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        return new InstanceRecord
        {
            InstanceId = reader.GetString(0),
            ExecutionId = reader.GetString(1),
            Name = reader.GetString(2),
            IsEntity = Convert.ToBoolean(reader.GetValue(3), System.Globalization.CultureInfo.InvariantCulture),
            Status = (OrchestrationRuntimeStatus)reader.GetInt32(4),
            Input = Text(5),
            Output = Text(6),
            CustomStatus = Text(7),
            Failure = Text(8) is { } f ? JsonSerializer.Deserialize<TaskFailureDetails>(f, json) : null,
            EntityState = Text(9),
            CreatedAt = time(reader, 10),
            LastUpdatedAt = time(reader, 11),
            CompletedAt = reader.IsDBNull(12) ? null : time(reader, 12),
            ParentInstanceId = Text(13),
            ParentTaskId = reader.GetInt32(14),
            HistoryCount = reader.GetInt32(15),
            EntityScheduler = Text(16),
        };
    }

    /// <summary>Runs a query of one page (it asks for one row more than <paramref name="pageSize"/>) and makes the continuation token from the last row.</summary>
    public static async Task<StorePage<InstanceRecord>> ReadPageAsync(DbCommand command, int pageSize, Func<DbDataReader, InstanceRecord> read, Func<InstanceRecord, long> tokenTime, CancellationToken cancellationToken)
    {
        var rows = new List<InstanceRecord>(pageSize + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(read(reader));
            }
        }

        string? next = null;
        if (rows.Count > pageSize)
        {
            rows.RemoveAt(rows.Count - 1);
            var last = rows[^1];
            next = Sqlite.SqliteOrchestrationStore.EncodeToken(tokenTime(last), last.InstanceId);
        }

        return new StorePage<InstanceRecord>(rows, next);
    }

    /// <summary>The row of an instance being created: pending, with the execution id of its start message.</summary>
    public static InstanceRecord Pending(NewInstance instance, DateTime now) => new()
    {
        InstanceId = instance.InstanceId,
        Name = instance.Name,
        ExecutionId = HistoryEvents.StartedExecutionId(instance.StartMessage) ?? Guid.NewGuid().ToString("N"),
        Status = OrchestrationRuntimeStatus.Pending,
        Input = instance.Input,
        CreatedAt = now,
        LastUpdatedAt = now,
        ParentInstanceId = instance.ParentInstanceId,
        ParentTaskId = instance.ParentTaskId,
    };

    /// <summary>The statuses a purge filter selects: only finished ones (all of them when the filter names none).</summary>
    public static List<int> PurgeableStatuses(PurgeFilter filter) =>
        (filter.Statuses is { Count: > 0 } s ? s.Where(Terminal.Contains) : Terminal).Select(x => (int)x).ToList();
}
