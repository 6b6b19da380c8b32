using Microsoft.DurableTask.Client;

namespace Serverless.DurableTask.Client;

/// <summary>
/// Options of the client over this runtime's stores: Microsoft's <see cref="DurableTaskClientOptions"/> (the
/// <see cref="DurableTaskClientOptions.DataConverter"/>, the default version) and the clock. Configure them per client
/// name, as the SDK does: <c>services.Configure&lt;StoreDurableTaskClientOptions&gt;(Options.DefaultName, o => ...)</c>.
/// The stores always support entities, so <see cref="DurableTaskClientOptions.EnableEntitySupport"/> is not consulted.
/// </summary>
public sealed class StoreDurableTaskClientOptions : DurableTaskClientOptions
{
    /// <summary>
    /// Gets or sets the wall clock the client stamps events with and schedules delayed starts and signals on. Default is
    /// <see cref="TimeProvider.System"/>; give it the worker's clock when a test moves that one.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets the largest input, event, terminate output or entity signal the client stores, in UTF-8 bytes
    /// (default 4 MiB); a larger one throws <see cref="PayloadTooLargeException"/> and nothing is stored.
    /// </summary>
    public int MaxPayloadBytes { get; set; } = Engine.PayloadLimit.DefaultMaxBytes;
}
