using System.Reflection;
using Microsoft.AspNetCore.Builder;

namespace Serverless.Functions.Hosting;

/// <summary>The one-call entry point: <c>return await FunctionsHost.RunAsync(args, typeof(Program).Assembly);</c></summary>
public static class FunctionsHost
{
    /// <summary>
    /// Builds and runs the host until SIGTERM or Ctrl+C. Returns 0 after a clean stop, 1 when the host refuses to
    /// start (the reasons go to standard error: each refused function with why, or the host.json path that is wrong).
    /// </summary>
    /// <param name="args">The command line (<c>--urls</c> and any configuration key).</param>
    /// <param name="appAssembly">The assembly with the functions.</param>
    /// <param name="configureBuilder">Adds the app's services.</param>
    /// <param name="configureApp">Adds middleware or endpoints before the functions are mapped.</param>
    public static async Task<int> RunAsync(string[] args, Assembly appAssembly, Action<WebApplicationBuilder, IFunctionsHostBuilder>? configureBuilder = null, Action<WebApplication>? configureApp = null)
    {
        ArgumentNullException.ThrowIfNull(appAssembly);
        WebApplication app;
        try
        {
            var builder = WebApplication.CreateBuilder(args);
            var functions = builder.AddFunctionsHost(appAssembly);
            configureBuilder?.Invoke(builder, functions);
            app = builder.Build();
        }
        catch (FunctionsHostException ex)
        {
            await Console.Error.WriteLineAsync($"The functions host refused to start.{Environment.NewLine}{ex.Message}");
            return 1;
        }

        await using (app)
        {
            configureApp?.Invoke(app);
            app.MapFunctions();
            await app.RunAsync();
        }

        return 0;
    }
}
