using Microsoft.Data.Sqlite;

namespace Serverless.DurableTask.Sqlite;

/// <content>The single writer: group commit with a savepoint per request.</content>
internal sealed partial class SqliteOrchestrationStore
{
    private Task<T> WriteAsync<T>(Func<WriteContext, T> execute, Func<bool>? validate = null, Action<T>? afterCommit = null, Action? onFailure = null)
    {
        var request = new WriteRequest<T>(execute, validate, afterCommit, onFailure);
        if (!_writes.Writer.TryWrite(request))
        {
            return Task.FromException<T>(new ObjectDisposedException(nameof(SqliteOrchestrationStore), "The store is shutting down."));
        }

        return request.Completion.Task;
    }

    private void WriterLoop()
    {
        var batch = new List<WriteRequest>(_options.MaxBatchSize);
        var reader = _writes.Reader;
        while (true)
        {
            try
            {
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            while (batch.Count < _options.MaxBatchSize && reader.TryRead(out var request))
            {
                batch.Add(request);
            }

            CommitBatch(batch);
            batch.Clear();
        }
    }

    private void CommitBatch(List<WriteRequest> batch)
    {
        var connection = _writer!;
        var context = new WriteContext(this, connection);
        SqliteTransaction? tx = null;
        try
        {
            tx = connection.BeginTransaction(deferred: false);
            context.Transaction = tx;
            for (var i = 0; i < batch.Count; i++)
            {
                var request = batch[i];
                if (request.Validate is not null)
                {
                    bool valid;
                    lock (_gate)
                    {
                        valid = request.Validate();
                    }

                    if (!valid)
                    {
                        request.Error = new Engine.LeaseLostException(request.Description ?? "work item");
                        continue;
                    }
                }

                context.Exec("SAVEPOINT req");
                try
                {
                    request.Execute(context);
                    context.Exec("RELEASE req");
                }
                catch (Exception ex)
                {
                    context.Exec("ROLLBACK TO req");
                    context.Exec("RELEASE req");
                    request.Error = ex;
                }
            }

            tx.Commit();
        }
        catch (Exception ex)
        {
            try
            {
                tx?.Rollback();
            }
            catch (SqliteException)
            {
                // The transaction is already gone; the requests fail below.
            }

            foreach (var request in batch)
            {
                request.Error ??= ex;
            }
        }
        finally
        {
            tx?.Dispose();
        }

        lock (_gate)
        {
            foreach (var request in batch)
            {
                if (request.Error is null)
                {
                    request.AfterCommit();
                }
                else
                {
                    request.OnFailure();
                }
            }
        }

        foreach (var request in batch)
        {
            request.Complete();
        }
    }

    /// <summary>The writer connection inside the current transaction, with a cache of prepared commands.</summary>
    internal sealed class WriteContext(SqliteOrchestrationStore store, SqliteConnection connection)
    {
        public SqliteTransaction? Transaction { get; set; }

        public SqliteOrchestrationStore Store => store;

        public SqliteCommand Command(string sql)
        {
            if (!store._commands!.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = sql;
                store._commands[sql] = command;
            }

            command.Transaction = Transaction;
            command.Parameters.Clear();
            return command;
        }

        /// <summary>Gets the cached command with its parameters bound; the parameter objects are reused across executions.</summary>
        private SqliteCommand Bound(string sql, (string Name, object? Value)[] parameters)
        {
            if (!store._commands!.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
                command.CommandText = sql;
                store._commands[sql] = command;
            }

            command.Transaction = Transaction;
            if (command.Parameters.Count != parameters.Length)
            {
                command.Parameters.Clear();
                foreach (var (name, value) in parameters)
                {
                    command.Parameters.AddWithValue(name, value ?? DBNull.Value);
                }
            }
            else
            {
                for (var i = 0; i < parameters.Length; i++)
                {
                    command.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
                }
            }

            return command;
        }

        public int Exec(string sql, params (string Name, object? Value)[] parameters) => Bound(sql, parameters).ExecuteNonQuery();

        public object? Scalar(string sql, params (string Name, object? Value)[] parameters)
        {
            var result = Bound(sql, parameters).ExecuteScalar();
            return result is DBNull ? null : result;
        }
    }

    private abstract class WriteRequest
    {
        public Exception? Error { get; set; }

        public string? Description { get; init; }

        public abstract Func<bool>? Validate { get; }

        public abstract void Execute(WriteContext context);

        public abstract void AfterCommit();

        public abstract void OnFailure();

        public abstract void Complete();
    }

    private sealed class WriteRequest<T>(Func<WriteContext, T> execute, Func<bool>? validate, Action<T>? afterCommit, Action? onFailure) : WriteRequest
    {
        private T _result = default!;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Func<bool>? Validate => validate;

        public override void Execute(WriteContext context) => _result = execute(context);

        public override void AfterCommit() => afterCommit?.Invoke(_result);

        public override void OnFailure() => onFailure?.Invoke();

        public override void Complete()
        {
            if (Error is null)
            {
                Completion.TrySetResult(_result);
            }
            else
            {
                Completion.TrySetException(Error);
            }
        }
    }
}
