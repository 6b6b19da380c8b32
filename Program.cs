using CompanyHub.Functions;
using CompanyHub.Security;
using Serverless.DurableTask;
using Serverless.Functions;

// `healthcheck`: the container's HEALTHCHECK (the runtime image has no curl): 0 when this hub's /healthz answers 200.
if (args is [HealthCheckCommand.Name])
{
    return await HealthCheckCommand.RunAsync(Environment.GetEnvironmentVariable("ASPNETCORE_URLS"), Console.Out);
}

// The Company Hub: the functions host runs the app's HTTP functions, orchestrations, activities and entities.
// `dotnet run` listens on http://127.0.0.1:18789, keeps its state under ./.data/ (DATA_DIR moves it) and prints the
// admin dashboard URL. The hub refuses to start, saying why, when a function or a setting is invalid.
if (args is ["backups", .. var backupArgs])
{
    try
    {
        return await CompanyHub.Backups.BackupCommand.RunAsync(backupArgs, Console.Out, Console.Error);
    }
    catch (Exception ex) when (ex is FunctionsHostException or KeyConfigurationException or CompanyHub.Backups.BackupConfigurationException)
    {
        await Console.Error.WriteLineAsync(ex.Message);
        return 1;
    }
}

// `durable <command>`: Core Tools' `func durable` against the running hub's management API, or with --data-dir against a
// stopped hub's store (docs/cli.md). It prints its own errors and returns exit codes a script can test.
if (args is [CompanyHub.Cli.DurableCommand.Name, .. var durableArgs])
{
    return await CompanyHub.Cli.DurableCommand.RunAsync(durableArgs, Console.Out, Console.Error);
}

WebApplication app;
try
{
    app = CompanyHubApp.Build(args);
    CompanyHubApp.CheckDataFiles(app);

    // The store opens (and a store of the previous release is upgraded) before the host starts.
    await app.Services.InitializeDurableStoreAsync();
}
catch (Exception ex) when (ex is FunctionsHostException or KeyConfigurationException or CompanyHub.Backups.BackupConfigurationException
    or Serverless.DurableTask.Upgrade.StoreUpgradeException)
{
    await Console.Error.WriteLineAsync($"Company Hub refused to start.{Environment.NewLine}{ex.Message}");
    return 1;
}
catch (StoreCorruptException ex)
{
    await Console.Error.WriteLineAsync(
        $"Company Hub refused to start.{Environment.NewLine}{ex.Message}{Environment.NewLine}" +
        "To recover, restore the last backup: run `dotnet CompanyHub.dll backups restore --force` with the same MASTER_KEY and S3_* " +
        "settings (it keeps the damaged files beside the restored ones; see docs/backups.md). Without a backup, move the damaged " +
        "file aside: the hub then starts without its data.");
    return 1;
}

await using (app)
{
    await app.RunAsync();
}

return 0;

/// <summary>The app's entry point; public so that tests can host the app.</summary>
public partial class Program;
