namespace Serverless.Functions.Hosting;

/// <summary>
/// What the host needs from the durable store beyond Microsoft's <c>DurableTaskClient</c>: whether the store answers
/// with its schema current (<c>/readyz</c>). The store layer registers the implementation as a singleton next to the
/// store (<c>UseSqlite</c>/<c>UsePostgres</c>); without one, <c>/readyz</c> says the store is not ready.
/// </summary>
internal interface IDurableStoreDiagnostics
{
    /// <summary>Gets whether the store answers with its schema current.</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}
