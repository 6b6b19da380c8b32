using System.Globalization;
using CompanyHub.Load;

// Usage: dotnet bench/Load/bin/Release/net10.0/CompanyHub.Load.dll [--agents 200] [--users 40] [--duration 120]
//        [--llm-delay-ms 100] [--streams 1000] [--url http://host:port --admin-token T [--pid P]]
var options = new LoadOptions();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    switch (args[i])
    {
        case "--agents":
            options.Agents = int.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--users":
            options.Users = int.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--duration":
            options.Duration = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture));
            break;
        case "--llm-delay-ms":
            options.LlmDelay = TimeSpan.FromMilliseconds(double.Parse(Next(), CultureInfo.InvariantCulture));
            break;
        case "--url":
            options.Url = new Uri(Next());
            break;
        case "--admin-token":
            options.AdminToken = Next();
            break;
        case "--pid":
            options.Pid = int.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--streams":
            options.Streams = int.Parse(Next(), CultureInfo.InvariantCulture);
            break;
        case "--hub-dll":
            options.HubDll = Next();
            break;
        case "-h" or "--help":
            Console.WriteLine("options: --agents N (200) --users N (40) --duration SECONDS (120) --llm-delay-ms MS (100) --streams N (1000) --hub-dll PATH | --url URL --admin-token TOKEN [--pid PID]");
            return 0;
        default:
            Console.Error.WriteLine($"Unknown option {args[i]}; see --help.");
            return 2;
    }
}

if (options.Url is not null && options.AdminToken is null)
{
    Console.Error.WriteLine("--url needs --admin-token (the hub's admin token).");
    return 2;
}

return await LoadRun.RunAsync(options);
