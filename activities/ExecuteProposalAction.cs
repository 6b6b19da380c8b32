using CompanyHub.Orchestrations.Approvals;
using Microsoft.DurableTask;

namespace CompanyHub.Activities;

/// <summary>Runs an approved proposal's action with the tool it names.</summary>
public interface IProposalActionRunner
{
    Task<ActionResult> RunAsync(ActionRequest request, CancellationToken cancellationToken);
}

/// <summary>The activity behind every approved write. Transient tool failures come back as results, so that the orchestration can wait as the tool asked.</summary>
public sealed class ExecuteProposalAction(IProposalActionRunner runner) : TaskActivity<ActionRequest, ActionResult>
{
    public const string Name = nameof(ExecuteProposalAction);

    public override Task<ActionResult> RunAsync(TaskActivityContext context, ActionRequest input) => runner.RunAsync(input, context.CancellationToken());
}
