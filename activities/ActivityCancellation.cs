using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.DurableTask;

namespace CompanyHub.Activities;

/// <summary>
/// The cancellation token of a running activity. Microsoft's <see cref="TaskActivityContext"/> carries none; the hub's
/// host hands activities a context that exposes one as a public <c>CancellationToken</c> property (cancelled when the
/// host stops and its grace period is over, so that the activity is left for the next run). A host whose context has
/// no such property (an Azure Functions app) gets <see cref="CancellationToken.None"/>: its activities run to the end.
/// </summary>
public static class ActivityCancellation
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo?> Properties = new();

    /// <summary>The token that tells <paramref name="context"/>'s activity to stop, or none.</summary>
    public static CancellationToken CancellationToken(this TaskActivityContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var property = Properties.GetOrAdd(context.GetType(), static type =>
            type.GetProperty(nameof(CancellationToken), BindingFlags.Public | BindingFlags.Instance) is { PropertyType: var t, CanRead: true } p && t == typeof(CancellationToken) ? p : null);
        return property?.GetValue(context) is CancellationToken token ? token : System.Threading.CancellationToken.None;
    }
}
