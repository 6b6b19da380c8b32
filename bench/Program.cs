using System.Diagnostics;
using System.Globalization;
using Serverless.Bench;

// Usage: dotnet run -c Release --project bench -- [scenario ...|all] [--store sqlite|postgres|both] [--postgres <connstr>]
//        [--hosts 1,2,3] [--cpu-quota P] [--markdown] [--n N] [--waiting N]
// PostgreSQL: the connection string comes from --postgres or the HUB_TEST_POSTGRES environment variable.
const string PostgresVariable = "HUB_TEST_POSTGRES";
var scenarios = new List<string>();
var markdown = false;
int? n = null;
var waiting = 100_000;
var store = "sqlite";
var postgres = Environment.GetEnvironmentVariable(PostgresVariable);
string? workerSchema = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--markdown":
            markdown = true;
            break;
        case "--n":
            n = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--warm-up":
            Scenarios.WarmUpPerWorker = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--waiting":
            waiting = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--store":
            store = args[++i];
            break;
        case "--postgres":
            postgres = args[++i];
            break;
        case "--hosts":
            Scenarios.HostCounts = [.. args[++i].Split(',').Select(h => int.Parse(h, CultureInfo.InvariantCulture))];
            break;
        case "--cpu-quota":
            Scenarios.CpuQuotaPercent = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--worker":
            workerSchema = args[++i];
            break;
        case "-h" or "--help":
            Console.WriteLine("scenarios: " + string.Join(", ", Scenarios.Names) + ", all");
            Console.WriteLine("options: --store sqlite|postgres|both (default sqlite), --postgres <connection string> (default: $" + PostgresVariable + "),");
            Console.WriteLine("         --hosts 1,2,3 (worker processes of the scale scenario), --cpu-quota P (each scale worker in its own cgroup");
            Console.WriteLine("         limited to P % of one core; needs root), --warm-up N (orchestrations per scale worker before the");
            Console.WriteLine("         measured run; default a tenth of --n, at least 50), --markdown (rows for docs/benchmarks.md),");
            Console.WriteLine("         --n N (work items per scenario), --waiting N (instances for the waiting scenario; default 100000)");
            return 0;
        default:
            scenarios.Add(args[i]);
            break;
    }
}

if (workerSchema is not null)
{
    Scenarios.Target = new BenchStore(StoreKind.Postgres, postgres);
    return await Scenarios.RunWorkerAsync(workerSchema);
}

StoreKind[] stores = store switch
{
    "sqlite" => [StoreKind.Sqlite],
    "postgres" => [StoreKind.Postgres],
    "both" => [StoreKind.Sqlite, StoreKind.Postgres],
    _ => [],
};
if (stores.Length == 0)
{
    Console.Error.WriteLine($"Unknown store '{store}'. Use sqlite, postgres or both.");
    return 2;
}

if (stores.Contains(StoreKind.Postgres) && string.IsNullOrWhiteSpace(postgres))
{
    Console.Error.WriteLine($"PostgreSQL needs a connection string: --postgres <connstr> or the {PostgresVariable} environment variable (scripts/services start; eval \"$(scripts/services env)\").");
    return 2;
}

if (scenarios.Count == 0 || scenarios.Contains("all"))
{
    scenarios = [.. Scenarios.Names];
}

var unknown = scenarios.Where(s => !Scenarios.Names.Contains(s)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown scenario(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", Scenarios.Names)}.");
    return 2;
}

Console.WriteLine($"# {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, SQLite synchronous=FULL; load average {LoadAverage()}");
var results = new List<Result>();
foreach (var kind in stores)
{
    Scenarios.Target = new BenchStore(kind, kind == StoreKind.Postgres ? postgres : null);
    var label = kind.ToString().ToLowerInvariant();
    foreach (var name in scenarios)
    {
        if (name == "scale" && kind != StoreKind.Postgres)
        {
            continue; // several processes on one store: PostgreSQL only
        }

        var sw = Stopwatch.StartNew();
        var rows = (await Scenarios.RunAsync(name, n, waiting)).Select(r => r with { Store = label }).ToList();
        results.AddRange(rows);
        foreach (var row in rows)
        {
            Console.WriteLine($"{label,-8} {row.Scenario,-40} {row.Value,12:N1} {row.Unit,-14} {row.Detail}");
        }

        Console.Error.WriteLine($"  ({label} {name} took {sw.Elapsed.TotalSeconds:N1} s; load average {LoadAverage()})");
    }
}

if (markdown)
{
    Console.WriteLine();
    Console.WriteLine("| store | scenario | result | unit | detail |");
    Console.WriteLine("|---|---|---:|---|---|");
    foreach (var r in results)
    {
        Console.WriteLine($"| {r.Store} | {r.Scenario} | {r.Value:N1} | {r.Unit} | {r.Detail} |");
    }
}

return 0;

// The 1-minute load average (Linux), recorded with the figures: the machine may be shared.
static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
