using Microsoft.Extensions.Configuration;

namespace CompanyHub.Integrations.Dstack;

/// <summary>Whether the hub runs inside a dstack TEE: the guest agent's client, or null outside one. One per hub.</summary>
public sealed class TeeEnvironment(DstackGuestClient? agent) : IDisposable
{
    /// <summary>How long a start-up or attestation call to the guest agent may take.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Gets the guest agent's client, or null outside a TEE.</summary>
    public DstackGuestClient? Agent { get; } = agent;

    /// <summary>Looks for the guest agent (see <see cref="DstackEndpoint.Find"/>).</summary>
    /// <exception cref="DstackException"><c>DSTACK_SIMULATOR_ENDPOINT</c> is set to something unusable.</exception>
    public static TeeEnvironment Find(IConfiguration configuration) =>
        new(DstackEndpoint.Find(configuration) is { } endpoint ? new DstackGuestClient(endpoint, CallTimeout) : null);

    public void Dispose() => Agent?.Dispose();
}
