using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Serverless.Runtime.Tests.Golden;

/// <summary>
/// Regenerates the golden fixtures by running each sample on the real worker (Microsoft's replay engine on a hub over
/// SQLite) and saving the instance's stored protobuf history. Never edit a fixture by hand. Run: <c>RECORD_GOLDEN_HISTORIES=1 dotnet test tests/Runtime.Tests --filter GoldenHistoryRecorder</c>.
/// </summary>
public sealed class GoldenHistoryRecorder
{
    [RecordGoldenFact]
    public async Task Record_AllSamples_WritesFixturesIntoTheSourceTree()
    {
        var target = Path.Combine(ProjectDirectory(), "Golden");
        await using var hub = await TestHub.StartAsync(StoreKind.Sqlite, GoldenSamples.Register);
        foreach (var sample in GoldenSamples.All)
        {
            var instanceId = $"golden-{sample.Name}";
            await hub.Client.ScheduleNewOrchestrationInstanceAsync(sample.OrchestratorName, sample.Input, new StartOrchestrationOptions(instanceId));
            if (sample.DriveAsync is { } drive)
            {
                await drive(hub, instanceId);
            }

            var result = await hub.WaitForCompletionAsync(instanceId);
            Assert.Equal(OrchestrationRuntimeStatus.Completed, result.RuntimeStatus);
            var history = await hub.Store.GetHistoryAsync(instanceId, CancellationToken.None);
            GoldenFixture.FromHistory(sample.OrchestratorName, instanceId, result.SerializedOutput, history).Save(Path.Combine(target, sample.Name + ".json"));
        }
    }

    private static string ProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.Runtime.Tests.csproj")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The test project directory was not found above " + AppContext.BaseDirectory);
    }
}
