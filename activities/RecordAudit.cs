using CompanyHub.Security;
using Microsoft.DurableTask;

namespace CompanyHub.Activities;

/// <summary>Appends an entry to the audit log. Runs at least once: a repeated entry is possible after a crash, a lost one is not.</summary>
public sealed class RecordAudit(IAuditLog audit) : TaskActivity<AuditRecord, bool>
{
    public const string Name = nameof(RecordAudit);

    public override async Task<bool> RunAsync(TaskActivityContext context, AuditRecord input)
    {
        await audit.AppendAsync(input, context.CancellationToken());
        return true;
    }
}
