using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CompanyHub.Cli;

/// <summary>What the <c>durable</c> commands print: aligned tables for people, the management API's JSON for scripts.</summary>
internal static class DurableOutput
{
    private const int MaxCell = 60;

    public static void WriteJson(TextWriter output, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            write(writer);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>A command that changed something: one sentence, or a JSON object with the same facts.</summary>
    public static void WriteDone(TextWriter output, bool json, string sentence, Action<Utf8JsonWriter> fields)
    {
        if (!json)
        {
            output.WriteLine(sentence);
            return;
        }

        WriteJson(output, w =>
        {
            w.WriteStartObject();
            fields(w);
            w.WriteEndObject();
        });
    }

    public static void WriteInstances(TextWriter output, InstancePage page, bool showInput)
    {
        string[] headers = showInput
            ? ["INSTANCE ID", "NAME", "STATUS", "CREATED", "LAST UPDATED", "INPUT"]
            : ["INSTANCE ID", "NAME", "STATUS", "CREATED", "LAST UPDATED"];
        var rows = page.Instances.Select(i =>
        {
            string[] row = [Text(i, "instanceId"), Text(i, "name"), Text(i, "runtimeStatus"), Text(i, "createdTime"), Text(i, "lastUpdatedTime")];
            return showInput ? [.. row, Raw(i, "input")] : row;
        }).ToList();
        WriteTable(output, headers, rows);
        output.WriteLine(page.ContinuationToken is { } next
            ? $"{rows.Count} instance(s); more: --continuation-token {next}"
            : $"{rows.Count} instance(s).");
    }

    public static void WriteStatus(TextWriter output, JsonElement status, bool showInput, bool showOutput, bool json)
    {
        var hidden = new HashSet<string>(StringComparer.Ordinal);
        if (!showInput)
        {
            hidden.Add("input");
        }

        if (!showOutput)
        {
            hidden.Add("output");
        }

        if (json)
        {
            WriteJson(output, w =>
            {
                w.WriteStartObject();
                foreach (var property in status.EnumerateObject().Where(p => !hidden.Contains(p.Name)))
                {
                    property.WriteTo(w);
                }

                w.WriteEndObject();
            });
            return;
        }

        var rows = new List<string[]>
        {
            new[] { "Name:", Text(status, "name") },
            new[] { "Instance ID:", Text(status, "instanceId") },
            new[] { "Status:", Text(status, "runtimeStatus") },
            new[] { "Created:", Text(status, "createdTime") },
            new[] { "Last updated:", Text(status, "lastUpdatedTime") },
            new[] { "Custom status:", Raw(status, "customStatus") },
        };
        if (showInput)
        {
            rows.Add(["Input:", Raw(status, "input")]);
        }

        if (showOutput)
        {
            rows.Add(["Output:", Raw(status, "output")]);
        }

        WriteTable(output, null, rows);
    }

    public static void WriteHistory(TextWriter output, JsonElement history)
    {
        var rows = history.EnumerateArray().Select(e => new[]
        {
            Text(e, "Timestamp"),
            Text(e, "EventType"),
            e.TryGetProperty("FunctionName", out _) ? Text(e, "FunctionName") : Text(e, "Name"),
            Detail(e),
        }).ToList();
        WriteTable(output, ["TIMESTAMP", "EVENT", "NAME", "DETAIL"], rows);
        output.WriteLine($"{rows.Count} event(s).");
    }

    private static string Detail(JsonElement e)
    {
        foreach (var name in new[] { "Result", "Failure", "Reason", "OrchestrationStatus", "FireAt" })
        {
            if (e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                return name == "Result" ? Shorten(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()) : $"{name}: {Shorten(value.ToString())}";
            }
        }

        return string.Empty;
    }

    private static void WriteTable(TextWriter output, string[]? headers, List<string[]> rows)
    {
        var all = headers is null ? rows : [headers, .. rows];
        if (all.Count == 0)
        {
            return;
        }

        var widths = Enumerable.Range(0, all[0].Length).Select(c => all.Max(r => r[c].Length)).ToArray();
        foreach (var row in all)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, c) => c == row.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        }
    }

    private static string Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : string.Empty;

    /// <summary>A JSON value for reading: a string as its text, anything else as JSON.</summary>
    private static string Raw(JsonElement e, string name) => e.TryGetProperty(name, out var value) ? value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => string.Empty,
        JsonValueKind.String => Shorten(value.GetString()!),
        _ => Shorten(value.GetRawText()),
    } : string.Empty;

    /// <summary>One line of at most <see cref="MaxCell"/> characters (a table is for reading; --json has everything).</summary>
    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= MaxCell ? line : line[..(MaxCell - 1)] + "…";
    }
}
