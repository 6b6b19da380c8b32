using Microsoft.DurableTask;

namespace CompanyHub.Orchestrations;

/// <summary>
/// What an instance may do by the release that started it (host.json <c>extensions.durableTask.defaultVersion</c>,
/// stamped on every new instance). An orchestration that was waiting when the hub was upgraded replays its history
/// with the new code; steps this release added must not run for it, or its replay would no longer match.
/// </summary>
public static class HubVersions
{
    /// <summary>
    /// Whether the instance began under a release with chat channels (version 2 and later): a waiting proposal is
    /// offered on the person's Telegram chat. Instances the client started under the releases before carry no version.
    /// </summary>
    public static bool HasChannels(TaskOrchestrationContext context) => !string.IsNullOrEmpty(context.Version);
}
