using System.Diagnostics;
using System.Globalization;
using Serverless.Bench;

// Usage: dotnet run -c Release --project bench -- [scenario ...|all] [--markdown] [--n N] [--waiting N]
var scenarios = new List<string>();
var markdown = false;
int? n = null;
var waiting = 100_000;
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
        case "--waiting":
            waiting = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "-h" or "--help":
            Console.WriteLine("scenarios: " + string.Join(", ", Scenarios.Names) + ", all");
            Console.WriteLine("options: --markdown (rows for docs/benchmarks.md), --n N (work items per scenario), --waiting N (instances for the waiting scenario; default 100000)");
            return 0;
        default:
            scenarios.Add(args[i]);
            break;
    }
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

Console.WriteLine($"# {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, SQLite synchronous=FULL");
var results = new List<Result>();
foreach (var name in scenarios)
{
    var sw = Stopwatch.StartNew();
    var rows = await Scenarios.RunAsync(name, n, waiting);
    results.AddRange(rows);
    foreach (var row in rows)
    {
        Console.WriteLine($"{row.Scenario,-34} {row.Value,12:N1} {row.Unit,-14} {row.Detail}");
    }

    Console.Error.WriteLine($"  ({name} took {sw.Elapsed.TotalSeconds:N1} s)");
}

if (markdown)
{
    Console.WriteLine();
    Console.WriteLine("| scenario | result | unit | detail |");
    Console.WriteLine("|---|---:|---|---|");
    foreach (var r in results)
    {
        Console.WriteLine($"| {r.Scenario} | {r.Value:N1} | {r.Unit} | {r.Detail} |");
    }
}

return 0;
