using Serverless.DurableTask;

namespace CompanyHub.Tests;

/// <summary>
/// The real hub, as a child process, is killed at a named crash point in the middle of a product flow (onboarding
/// through Google, an approval of each action type, an agent turn, a broadcast), then started again without the crash
/// point on the same data directory. After the restart the flow must finish, with each side effect exactly as often as
/// the design promises (the fakes count the calls) and nothing lost.
/// </summary>
/// <remarks>
/// The crash point is narrowed to the flow's critical site (<c>point:site</c>, see <see cref="CrashPoints"/>): the
/// activity that makes the outside call, or the step that scheduled it, so that the kill lands at the same place in
/// every run. <c>store.migration</c> kills the first start of an empty data directory, before any flow.
/// </remarks>
public sealed class CrashFlowTests
{
    private static readonly TimeSpan CrashWait = TimeSpan.FromSeconds(60);

    /// <summary>Every crash point × every flow it applies to.</summary>
    public static TheoryData<string, string> Cases()
    {
        var cases = new TheoryData<string, string>();
        foreach (var point in new[] { CrashPoints.AfterActivityBeforeCommit, CrashPoints.AfterCommitBeforeDelivery })
        {
            foreach (var flow in ProductFlows.All)
            {
                cases.Add(point, flow.Name);
            }
        }

        // The schema is migrated once, at the first start: the flow runs after the restart.
        cases.Add(CrashPoints.DuringMigration, ProductFlows.Onboarding.Name);

        // A backup's upload is cut off: the backup flow (against the S3 server scripts/test starts).
        cases.Add(CrashPoints.DuringSnapshotUpload, ProductFlows.Backup.Name);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task KilledAtCrashPoint_FlowFinishesAfterRestart_EachSideEffectAsPromised(string point, string flowName)
    {
        var flow = ProductFlows.ByName(flowName);
        await using var run = await CrashRun.StartAsync(flow.Settings);
        var site = point == CrashPoints.DuringMigration ? "0001_initial" : flow.Site;
        var armed = site is null ? point : $"{point}:{site}";

        if (point == CrashPoints.DuringMigration)
        {
            await run.StartHubAsync(armed);
            await AssertKilledAtAsync(run, point, site);
            await run.StartHubAsync();
            await flow.Setup(run);
            await flow.Act(run);
        }
        else
        {
            await run.StartHubAsync(armed);
            await flow.Setup(run);
            Assert.False(run.Hub.HasExited, $"The hub died during the setup, before the flow:{Environment.NewLine}{run.Hub.Output}");
            var act = flow.Act(run);
            var died = run.Hub.WaitForExitAsync(CrashWait);
            await Task.WhenAny(act, died);
            await AssertKilledAtAsync(run, point, site);
            // The request that was in flight when the hub died may have failed: that is the crash, not the result.
            await act.ContinueWith(_ => { }, TaskScheduler.Default);
            await run.StartHubAsync();
        }

        await flow.Verify(run, point);
        await run.AssertNothingLostAsync();
    }

    private static async Task AssertKilledAtAsync(CrashRun run, string point, string? site)
    {
        Assert.True(await run.Hub.WaitForExitAsync(CrashWait), $"The hub did not reach {point} at {site ?? "any site"} within {CrashWait.TotalSeconds} s:{Environment.NewLine}{run.Hub.Output}");
        Assert.Contains(site is null ? $"crash point '{point}' reached (" : $"crash point '{point}' reached at '{site}'", run.Hub.Output, StringComparison.Ordinal);
    }
}
