using Microsoft.DurableTask;
using Serverless.DurableTask.Worker;

namespace Serverless.Runtime.Tests;

/// <summary>
/// What our dispatcher adds to Microsoft's <see cref="TaskActivityContext"/>: the idempotency key, the delivery count
/// and the stop token. Activities in the tests reach them through <c>ctx.Store()</c>.
/// </summary>
internal static class ActivityContexts
{
    /// <summary>Gets the store-backed context the activity runs with (every activity our worker runs has one).</summary>
    public static StoreTaskActivityContext Store(this TaskActivityContext context) =>
        context as StoreTaskActivityContext ?? throw new InvalidOperationException($"The activity runs with a {context?.GetType().Name ?? "null"} context, not the store worker's.");
}
