using Microsoft.DurableTask;

namespace Serverless.Runtime.Tests.Golden;

/// <summary>
/// One sample orchestration whose recorded history is checked in as <c>Golden/&lt;Name&gt;.json</c>.
/// </summary>
/// <param name="Name">The fixture's file name (without extension).</param>
/// <param name="OrchestratorName">The name the orchestrator is registered and recorded under.</param>
/// <param name="Current">Creates the orchestrator as the code is today; must replay the fixture.</param>
/// <param name="Changed">Creates a deliberately changed version; its replay must fail with DTFx's non-determinism error.</param>
/// <param name="Input">The input the fixture was recorded with.</param>
/// <param name="DriveAsync">What the recorder does while the instance runs (raise events), if anything.</param>
internal sealed record GoldenSample(
    string Name,
    string OrchestratorName,
    Func<ITaskOrchestrator> Current,
    Func<ITaskOrchestrator> Changed,
    object? Input,
    Func<TestHub, string, Task>? DriveAsync = null);
