using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Serverless.Functions;

/// <summary>Helpers on <see cref="FunctionContext"/>.</summary>
public static class FunctionContextExtensions
{
    /// <summary>Creates a logger for the invocation (category as given; filter it in host.json <c>logging.logLevel</c>).</summary>
    public static ILogger GetLogger(this FunctionContext context, string categoryName)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrEmpty(categoryName);
        return context.InstanceServices.GetRequiredService<ILoggerFactory>().CreateLogger(categoryName);
    }

    /// <summary>Creates a logger whose category is the full name of <typeparamref name="T"/>.</summary>
    public static ILogger<T> GetLogger<T>(this FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.InstanceServices.GetRequiredService<ILogger<T>>();
    }

    /// <summary>Gets the HTTP context of an HTTP-triggered invocation; null for other triggers.</summary>
    public static HttpContext? GetHttpContext(this FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (context as DefaultFunctionContext)?.HttpContext;
    }
}
