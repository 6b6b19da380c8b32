using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CompanyHub.Functions;
using Microsoft.DurableTask.Client;
using Serverless.Functions.Hosting;
using Serverless.Functions.Security;

namespace CompanyHub.Cli;

/// <summary>
/// <c>dotnet CompanyHub.dll durable &lt;command&gt;</c>: the commands of Core Tools' <c>func durable</c> (get-instances,
/// get-runtime-status, get-history, start-new, raise-event, terminate, suspend, resume, rewind, purge-history,
/// delete-task-hub) against a running hub's management API (<c>--url</c>, <c>--key</c>), or with <c>--data-dir</c>
/// alone against a stopped hub's store. Tables by default, <c>--json</c> for scripts; the exit codes are
/// <see cref="DurableExitCodes"/> (docs/cli.md).
/// </summary>
public sealed class DurableCommand
{
    /// <summary>The command-line word that runs these commands instead of the hub.</summary>
    public const string Name = "durable";

    /// <summary>How many instances get-instances shows unless <c>--top</c> says otherwise (as Core Tools).</summary>
    public const int DefaultTop = 10;

    private readonly Option<Uri?> _url = new("--url")
    {
        Description = "The running hub's address. Default: the first of ASPNETCORE_URLS (a wildcard host asked on 127.0.0.1), else http://127.0.0.1:18789.",
        Recursive = true,
        CustomParser = r => ParseUrl(r),
    };

    private readonly Option<string?> _key = new("--key")
    {
        Description = "The hub's host key. Default: the Host__AdminKey setting, else host-admin.key in the hub's data directory (--data-dir, DATA_DIR, or ./.data).",
        Recursive = true,
    };

    private readonly Option<string?> _dataDir = new("--data-dir")
    {
        Description = "The hub's data directory. Without --url: work on that stopped hub's store directly (with the hub's host.json and settings). With --url: where the host key is read from.",
        Recursive = true,
    };

    private readonly Option<bool> _json = new("--json")
    {
        Description = "Print JSON (the management API's shapes) instead of a table.",
        Recursive = true,
    };

    private readonly Option<string> _id = new("--id", "--instance") { Description = "The orchestration instance id.", Required = true };

    private DurableCommand()
    {
        Root = new RootCommand("Company Hub");
        NotEmpty(_id);
        var durable = new Command(Name, "Manage the hub's durable orchestrations, as Core Tools' `func durable` does.") { _url, _key, _dataDir, _json };
        durable.Subcommands.Add(GetInstances());
        durable.Subcommands.Add(GetRuntimeStatus());
        durable.Subcommands.Add(GetHistory());
        durable.Subcommands.Add(StartNew());
        durable.Subcommands.Add(RaiseEvent());
        durable.Subcommands.Add(Control("terminate", "Terminates a running orchestration instance.", InstanceOperation.Terminate, "The reason, kept as the instance's output."));
        durable.Subcommands.Add(Control("suspend", "Suspends a running orchestration instance.", InstanceOperation.Suspend, "The reason, kept in the history."));
        durable.Subcommands.Add(Control("resume", "Resumes a suspended orchestration instance.", InstanceOperation.Resume, "The reason, kept in the history."));
        durable.Subcommands.Add(Control("rewind", "Rewinds a failed orchestration instance (where the store can; this hub's stores cannot, and the command says so with exit code 5).", InstanceOperation.Rewind, "The reason."));
        durable.Subcommands.Add(PurgeHistory());
        durable.Subcommands.Add(DeleteTaskHub());
        Root.Subcommands.Add(durable);
    }

    /// <summary>Gets the command tree (<c>CompanyHub durable ...</c>).</summary>
    public RootCommand Root { get; }

    /// <summary>Runs the command in <paramref name="args"/> (the words after <c>durable</c>); returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var cli = new DurableCommand();
        var parsed = cli.Root.Parse([Name, .. args]);
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        if (parsed.Errors.Count > 0)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync(parseError.Message);
            }

            await error.WriteLineAsync($"Run '{CommandPath(parsed.CommandResult.Command)} --help' for the options.");
            return DurableExitCodes.Usage;
        }

        try
        {
            return await parsed.InvokeAsync(configuration, cancellationToken);
        }
        catch (DurableCommandException ex)
        {
            await error.WriteLineAsync(ex.Message);
            return ex.ExitCode;
        }
        catch (Exception ex) when (ex is Serverless.Functions.FunctionsHostException or CompanyHub.Security.KeyConfigurationException
            or Serverless.DurableTask.StoreCorruptException or Serverless.DurableTask.Upgrade.StoreUpgradeException)
        {
            await error.WriteLineAsync(ex.Message);
            return DurableExitCodes.Failed;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException)
        {
            // The store or the hub's answer failed in a way no check above names: say what, without a stack trace.
            await error.WriteLineAsync($"The command failed: {ex.Message}");
            return DurableExitCodes.Failed;
        }
    }

    private Command GetInstances()
    {
        var after = TimeOption("--created-after", "Only instances created at or after this time (ISO 8601, UTC unless it says otherwise).");
        var before = TimeOption("--created-before", "Only instances created at or before this time (ISO 8601).");
        var statuses = StatusOption("Only instances with one of these statuses (Pending, Running, Suspended, Completed, Failed, Terminated), space or comma separated.");
        var prefix = new Option<string?>("--instance-id-prefix") { Description = "Only instances whose id starts with this." };
        var top = new Option<int>("--top") { Description = "How many instances to show (one page).", DefaultValueFactory = _ => DefaultTop };
        top.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 1000)
            {
                r.AddError("--top must be a whole number from 1 to 1000.");
            }
        });
        var token = new Option<string?>("--continuation-token") { Description = "Show the page after the one that printed this token." };
        var showInput = new Option<bool>("--show-input") { Description = "Show each instance's input." };
        var command = new Command("get-instances", "Lists orchestration instances, a page at a time.") { after, before, statuses, prefix, top, token, showInput };
        SetAction(command, async (p, backend, output, json, ct) =>
        {
            var page = await backend.ListAsync(new InstanceFilter(p.GetValue(after), p.GetValue(before), p.GetValue(statuses) ?? [], p.GetValue(prefix), p.GetValue(top), p.GetValue(token), p.GetValue(showInput)), ct);
            if (json)
            {
                DurableOutput.WriteJson(output, w =>
                {
                    w.WriteStartObject();
                    w.WriteStartArray("instances");
                    foreach (var instance in page.Instances)
                    {
                        instance.WriteTo(w);
                    }

                    w.WriteEndArray();
                    w.WriteString("continuationToken", page.ContinuationToken);
                    w.WriteEndObject();
                });
            }
            else
            {
                DurableOutput.WriteInstances(output, page, p.GetValue(showInput));
            }
        });
        return command;
    }

    private Command GetRuntimeStatus()
    {
        var showInput = new Option<bool>("--show-input") { Description = "Show the instance's input." };
        var showOutput = new Option<bool>("--show-output") { Description = "Show the instance's output." };
        var command = new Command("get-runtime-status", "Shows the status of one orchestration instance.") { _id, showInput, showOutput };
        SetAction(command, async (p, backend, output, json, ct) =>
        {
            var status = await backend.GetStatusAsync(p.GetValue(_id)!, p.GetValue(showInput), history: false, ct);
            DurableOutput.WriteStatus(output, status, p.GetValue(showInput), p.GetValue(showOutput), json);
        });
        return command;
    }

    private Command GetHistory()
    {
        var command = new Command("get-history", "Shows the history of one orchestration instance: its steps, activities, timers and events, with their results.") { _id };
        SetAction(command, async (p, backend, output, json, ct) =>
        {
            var status = await backend.GetStatusAsync(p.GetValue(_id)!, showInput: false, history: true, ct);
            var history = status.TryGetProperty("historyEvents", out var events) ? events : JsonDocument.Parse("[]").RootElement;
            if (json)
            {
                DurableOutput.WriteJson(output, history.WriteTo);
            }
            else
            {
                DurableOutput.WriteHistory(output, history);
            }
        });
        return command;
    }

    private Command StartNew()
    {
        var function = NotEmpty(new Option<string>("--function-name") { Description = "The orchestrator function to start.", Required = true });
        var id = NotEmpty(new Option<string?>("--id", "--instance") { Description = "The new instance's id. Default: a new GUID." });
        var input = JsonOption("--input", "The orchestrator's input: JSON, or @file to read it from a file.");
        var command = new Command("start-new", "Starts a new instance of an orchestrator function.") { function, id, input };
        SetAction(command, async (p, backend, output, json, ct) =>
        {
            var started = await backend.StartAsync(p.GetValue(function)!, p.GetValue(id), p.GetValue(input), ct);
            DurableOutput.WriteDone(output, json, $"Started '{p.GetValue(function)}' as instance {started}.", w => w.WriteString("instanceId", started));
        });
        return command;
    }

    private Command RaiseEvent()
    {
        var name = NotEmpty(new Option<string>("--event-name") { Description = "The event's name.", Required = true });
        var data = JsonOption("--event-data", "The event's data: JSON (a string in quotes: '\"yes\"'), or @file to read it from a file.");
        var command = new Command("raise-event", "Raises an event to a running orchestration instance.") { _id, name, data };
        SetAction(command, async (p, backend, output, json, ct) =>
        {
            var instanceId = p.GetValue(_id)!;
            await backend.RaiseEventAsync(instanceId, p.GetValue(name)!, p.GetValue(data), ct);
            DurableOutput.WriteDone(output, json, $"Raised event '{p.GetValue(name)}' to instance {instanceId}.", w => w.WriteString("instanceId", instanceId));
        });
        return command;
    }

    private Command Control(string name, string description, InstanceOperation operation, string reasonDescription)
    {
        var reason = new Option<string?>("--reason") { Description = reasonDescription };
        var command = new Command(name, description) { _id, reason };
        SetAction(command, async (p, backend, output, json, ct) =>
        {
            var instanceId = p.GetValue(_id)!;
            await backend.ControlAsync(instanceId, operation, p.GetValue(reason), ct);
            DurableOutput.WriteDone(output, json, $"Sent {name} to instance {instanceId}.", w => w.WriteString("instanceId", instanceId));
        });
        return command;
    }

    private Command PurgeHistory()
    {
        var id = NotEmpty(new Option<string?>("--id", "--instance") { Description = "Purge this one finished instance (instead of a filter)." });
        var after = TimeOption("--created-after", "Purge finished instances created at or after this time (ISO 8601). Default: the beginning.");
        var before = TimeOption("--created-before", "Purge finished instances created at or before this time (ISO 8601). Default: now.");
        var statuses = StatusOption("Purge only instances with these statuses (Completed, Failed, Terminated). Default: every finished instance.");
        var command = new Command("purge-history", "Deletes finished orchestration instances with their history (running ones are never purged).") { id, after, before, statuses };
        command.Validators.Add(r =>
        {
            if (r.GetValue(id) is not null && (r.GetResult(after) is not null || r.GetResult(before) is not null || r.GetResult(statuses) is not null))
            {
                r.AddError("Give either --id or the --created-after/--created-before/--runtime-status filter, not both.");
            }
        });
        SetAction(command, async (p, backend, output, json, ct) =>
        {
            var count = p.GetValue(id) is { } instanceId
                ? await backend.PurgeAsync(instanceId, ct)
                : await backend.PurgeAsync(p.GetValue(after) ?? DateTimeOffset.MinValue, p.GetValue(before), p.GetValue(statuses) ?? [], ct);
            DurableOutput.WriteDone(output, json, $"Purged {count} instance(s).", w => w.WriteNumber("instancesDeleted", count));
        });
        return command;
    }

    private Command DeleteTaskHub()
    {
        var force = new Option<bool>("--force") { Description = "Confirm: every instance, entity (agents, the directory, invites) and history of the task hub is deleted." };
        var command = new Command("delete-task-hub", "Deletes the task hub's store of a stopped hub (--data-dir): every instance, entity and history. The hub starts empty next time.") { force };
        command.Validators.Add(r =>
        {
            if (r.GetValue(_dataDir) is null || r.GetValue(_url) is not null)
            {
                r.AddError("delete-task-hub works on a stopped hub's store only: stop the hub, then give its --data-dir (and no --url).");
            }
            else if (!r.GetValue(force))
            {
                r.AddError("delete-task-hub deletes every instance, entity and history of the task hub: add --force to confirm.");
            }
        });
        SetAction(command, async (p, backend, output, json, ct) =>
        {
            var deleted = await backend.DeleteTaskHubAsync(ct);
            DurableOutput.WriteDone(output, json, $"Deleted the task hub: {string.Join(", ", deleted.Select(System.IO.Path.GetFileName))}.", w =>
            {
                w.WriteStartArray("deleted");
                foreach (var file in deleted)
                {
                    w.WriteStringValue(file);
                }

                w.WriteEndArray();
            });
        });
        return command;
    }

    private delegate Task Body(ParseResult parsed, IDurableBackend backend, TextWriter output, bool json, CancellationToken cancellationToken);

    /// <summary>Opens the backend the global options name, runs the command's body on it, and closes it.</summary>
    private void SetAction(Command command, Body body) => command.SetAction(async (parsed, cancellationToken) =>
    {
        await using var backend = await OpenAsync(parsed, cancellationToken);
        await body(parsed, backend, parsed.InvocationConfiguration.Output, parsed.GetValue(_json), cancellationToken);
        return DurableExitCodes.Ok;
    });

    private async Task<IDurableBackend> OpenAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var dataDir = parsed.GetValue(_dataDir);
        var url = parsed.GetValue(_url);
        if (dataDir is not null && url is null)
        {
            return await StoreBackend.OpenAsync(dataDir, cancellationToken);
        }

        var key = parsed.GetValue(_key) ?? HostKeyFromSettings(dataDir)
            ?? throw new DurableCommandException(DurableExitCodes.Denied,
                $"No host key: pass --key, set Host__AdminKey, or run where the hub's data directory is (--data-dir, DATA_DIR or ./.data, file {HostKeys.FilePath("<dir>").Replace('\\', '/')}).");
        return new HubApiBackend(url ?? new Uri(HealthCheckCommand.LocalBaseUrl(Environment.GetEnvironmentVariable("ASPNETCORE_URLS"))), key);
    }

    /// <summary>The host key as the hub resolves it: the Host:AdminKey setting, else the key file in its data directory.</summary>
    private static string? HostKeyFromSettings(string? dataDir)
    {
        if (Environment.GetEnvironmentVariable("Host__AdminKey") is { Length: > 0 } configured)
        {
            return configured;
        }

        var directory = dataDir
            ?? (Environment.GetEnvironmentVariable("Host__DataDirectory") is { Length: > 0 } setting ? setting : null)
            ?? (Environment.GetEnvironmentVariable("DATA_DIR") is { Length: > 0 } env ? env : ".data");
        return HostKeys.ReadStored(System.IO.Path.GetFullPath(directory));
    }

    /// <summary>Refuses an empty or blank value (an empty id would address the list of instances instead of one).</summary>
    private static Option<T> NotEmpty<T>(Option<T> option)
    {
        option.Validators.Add(r =>
        {
            if (r.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value)))
            {
                r.AddError($"{option.Name} must not be empty.");
            }
        });
        return option;
    }

    private static Option<DateTimeOffset?> TimeOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            {
                return time;
            }

            r.AddError($"{name}: '{text}' is not a time; use ISO 8601, e.g. 2026-01-31T12:00:00Z.");
            return null;
        },
    };

    private static Option<IReadOnlyList<OrchestrationRuntimeStatus>> StatusOption(string description) => new("--runtime-status")
    {
        Description = description,
        AllowMultipleArgumentsPerToken = true,
        Arity = ArgumentArity.OneOrMore,
        CustomParser = r =>
        {
            var statuses = new List<OrchestrationRuntimeStatus>();
            foreach (var text in r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (!Enum.TryParse<OrchestrationRuntimeStatus>(text, ignoreCase: true, out var status) || int.TryParse(text, CultureInfo.InvariantCulture, out _))
                {
                    r.AddError($"--runtime-status: '{text}' is not a runtime status; use {string.Join(", ", Enum.GetNames<OrchestrationRuntimeStatus>())}.");
                    return [];
                }

                statuses.Add(status);
            }

            return statuses;
        },
    };

    private static Option<JsonElement?> JsonOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
            if (text.StartsWith('@'))
            {
                try
                {
                    text = File.ReadAllText(text[1..]);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    r.AddError($"{name}: cannot read {text[1..]}: {ex.Message}");
                    return null;
                }
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                r.AddError($"{name}: not JSON ({ex.Message}). A string needs quotes: '\"text\"'.");
                return null;
            }
        },
    };

    private static Uri? ParseUrl(System.CommandLine.Parsing.ArgumentResult r)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : string.Empty;
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return uri;
        }

        r.AddError($"--url: '{text}' is not an http(s) address, e.g. http://127.0.0.1:18789.");
        return null;
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, c is RootCommand ? "CompanyHub" : c.Name);
        }

        return string.Join(' ', names);
    }
}
