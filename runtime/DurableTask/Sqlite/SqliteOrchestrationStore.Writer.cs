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
                if (request is ConnectionRequest direct)
                {
                    CommitBatch(batch);
                    batch.Clear();
                    direct.Run(_writer!);
                    continue;
                }

                batch.Add(request);
            }

            CommitBatch(batch);
            batch.Clear();
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the writer connection between two batches, outside any transaction (for
    /// connection settings such as <c>PRAGMA max_page_count</c>: the fault tests use it to fill or lock the store).
    /// </summary>
    internal Task OnWriterConnectionAsync(Action<SqliteConnection> action)
    {
        var request = new ConnectionRequest(action);
        return _writes.Writer.TryWrite(request) ? request.Completion.Task : Task.FromException(new ObjectDisposedException(nameof(SqliteOrchestrationStore)));
    }

    private void CommitBatch(List<WriteRequest> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }

        var connection = _writer!;
        var context = new WriteContext(this, connection);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
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
                    // After some errors (disk full, I/O) SQLite has already rolled back the whole transaction: then the
                    // rollback below throws, and the batch fails as a whole, for this request's reason.
                    request.Error = ex;
                    context.Exec("ROLLBACK TO req");
                    context.Exec("RELEASE req");
                }
            }

            tx.Commit();
            DurableTaskTelemetry.Committed("sqlite", batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
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

            var cause = batch.Select(r => r.Error).FirstOrDefault(e => e is not null && SqliteFaults.Describe(e, DatabasePath) is not null) ?? ex;
            foreach (var request in batch)
            {
                request.Error ??= cause;
            }
        }
        finally
        {
            tx?.Dispose();
        }

        // A full disk or a read-only file is no fault of the work: the requests fail as "store unavailable", which the
        // worker retries without counting a delivery, and the store is not ready until a write succeeds again.
        var faulted = false;
        foreach (var request in batch)
        {
            if (request.Error is { } error && SqliteFaults.Describe(error, DatabasePath) is { } reason)
            {
                request.Error = new StoreUnavailableException($"The store cannot write: {reason}.", error);
                faulted = true;
            }
        }

        if (faulted)
        {
            // Cleared only by readiness's probe: a small write that fits into a page with room says nothing about the next one.
            _writeFault = batch.First(r => r.Error is StoreUnavailableException).Error!.Message;
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
                    _failingForStore = request.Error is StoreUnavailableException;
                    request.OnFailure();
                }
            }

            _failingForStore = false;
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

    private sealed class ConnectionRequest(Action<SqliteConnection> action) : WriteRequest
    {
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Func<bool>? Validate => null;

        public void Run(SqliteConnection connection)
        {
            try
            {
                action(connection);
                Completion.TrySetResult();
            }
            catch (Exception ex)
            {
                Completion.TrySetException(ex);
            }
        }

        public override void Execute(WriteContext context) => throw new InvalidOperationException("Runs outside a batch.");

        public override void AfterCommit()
        {
        }

        public override void OnFailure()
        {
        }

        public override void Complete()
        {
        }
    }
}
