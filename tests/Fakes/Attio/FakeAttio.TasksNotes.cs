using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Attio;

/// <summary>Listing tasks and notes and updating a task, with Attio's query parameters and answers.</summary>
public sealed partial class FakeAttio
{
    /// <summary>Adds a task as <c>POST /v2/tasks</c> would (optionally linked to a record); returns its id.</summary>
    public string AddTask(string content, bool completed = false, string? linkedObject = null, string? linkedRecordId = null)
    {
        var links = linkedObject is null ? new JsonArray() : new JsonArray(new JsonObject { ["target_object"] = linkedObject, ["target_record_id"] = linkedRecordId });
        var body = new JsonObject
        {
            ["data"] = new JsonObject { ["content"] = content, ["format"] = "plaintext", ["deadline_at"] = null, ["is_completed"] = completed, ["linked_records"] = links, ["assignees"] = new JsonArray() },
        };
        lock (_gate)
        {
            CreateTask(body);
            return _tasks[^1]["id"]!["task_id"]!.GetValue<string>();
        }
    }

    /// <summary>Adds a note to a record as <c>POST /v2/notes</c> would; returns its id.</summary>
    public string AddNote(string parentObject, string parentRecordId, string title, string content)
    {
        var body = new JsonObject
        {
            ["data"] = new JsonObject { ["parent_object"] = parentObject, ["parent_record_id"] = parentRecordId, ["title"] = title, ["format"] = "plaintext", ["content"] = content },
        };
        lock (_gate)
        {
            CreateNote(body);
            return _notes[^1]["id"]!["note_id"]!.GetValue<string>();
        }
    }

    /// <summary><c>GET /v2/tasks</c>: <c>limit</c>, <c>offset</c>, <c>sort</c> (created_at:asc|desc), <c>linked_object</c>, <c>linked_record_id</c>, <c>is_completed</c>.</summary>
    private IResult ListTasks(IQueryCollection query)
    {
        var (limit, offset) = Paging(query, max: 500, fallback: 500);
        IEnumerable<JsonObject> tasks = _tasks;
        if (Param(query, "is_completed") is { } completed)
        {
            var wanted = completed switch
            {
                "true" => true,
                "false" => false,
                _ => throw AttioFakeException.Validation("Query parameter is_completed must be true or false."),
            };
            tasks = tasks.Where(t => t["is_completed"]?.GetValue<bool>() == wanted);
        }

        if (Param(query, "linked_object") is { } linkedObject)
        {
            var objectId = FindObject(linkedObject).Id;
            var recordId = Param(query, "linked_record_id");
            tasks = tasks.Where(t => (t["linked_records"] as JsonArray ?? []).Any(l =>
                l?["target_object_id"]?.GetValue<string>() == objectId && (recordId is null || l["target_record_id"]?.GetValue<string>() == recordId)));
        }
        else if (Param(query, "linked_record_id") is not null)
        {
            throw AttioFakeException.Validation("linked_record_id needs linked_object.");
        }

        var sort = Param(query, "sort") ?? "created_at:asc";
        tasks = sort switch
        {
            "created_at:asc" => tasks.OrderBy(t => t["created_at"]!.GetValue<string>(), StringComparer.Ordinal),
            "created_at:desc" => tasks.OrderByDescending(t => t["created_at"]!.GetValue<string>(), StringComparer.Ordinal),
            _ => throw AttioFakeException.Validation("Query parameter sort must be created_at:asc or created_at:desc."),
        };
        return Json(new JsonObject { ["data"] = new JsonArray(tasks.Skip(offset).Take(limit).Select(t => (JsonNode)t.DeepClone()).ToArray()) });
    }

    /// <summary><c>PATCH /v2/tasks/{task_id}</c>: <c>data.deadline_at</c> and <c>data.is_completed</c> (the fields this fake keeps).</summary>
    private IResult UpdateTask(string taskId, JsonObject body)
    {
        var data = body["data"] as JsonObject ?? throw AttioFakeException.Validation("Body payload validation error: data is required.");
        var task = _tasks.FirstOrDefault(t => t["id"]!["task_id"]!.GetValue<string>() == taskId)
            ?? throw new AttioFakeException(404, "not_found", $"Task with ID \"{taskId}\" not found.");
        if (data["is_completed"] is { } completed)
        {
            if (completed.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw AttioFakeException.Validation("data.is_completed must be a boolean.");
            }

            task["is_completed"] = completed.GetValue<bool>();
        }

        if (data.ContainsKey("deadline_at"))
        {
            task["deadline_at"] = data["deadline_at"]?.DeepClone();
        }

        return Json(new JsonObject { ["data"] = task.DeepClone() });
    }

    /// <summary><c>GET /v2/notes</c>: <c>limit</c> (max 50), <c>offset</c>, <c>parent_object</c>, <c>parent_record_id</c>.</summary>
    private IResult ListNotes(IQueryCollection query)
    {
        var (limit, offset) = Paging(query, max: 50, fallback: 10);
        IEnumerable<JsonObject> notes = _notes;
        if (Param(query, "parent_object") is { } parentObject)
        {
            var slug = FindObject(parentObject).Slug;
            notes = notes.Where(n => n["parent_object"]?.GetValue<string>() == slug);
        }

        if (Param(query, "parent_record_id") is { } parentRecordId)
        {
            if (Param(query, "parent_object") is null)
            {
                throw AttioFakeException.Validation("parent_record_id needs parent_object.");
            }

            notes = notes.Where(n => n["parent_record_id"]?.GetValue<string>() == parentRecordId);
        }

        return Json(new JsonObject { ["data"] = new JsonArray(notes.Skip(offset).Take(limit).Select(n => (JsonNode)n.DeepClone()).ToArray()) });
    }

    private static string? Param(IQueryCollection query, string name) =>
        query.TryGetValue(name, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;

    private static (int Limit, int Offset) Paging(IQueryCollection query, int max, int fallback)
    {
        var limit = Param(query, "limit") is { } l ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1 : fallback;
        var offset = Param(query, "offset") is { } o ? int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : -1 : 0;
        if (limit < 1 || limit > max || offset < 0)
        {
            throw AttioFakeException.Validation($"limit must be between 1 and {max} and offset must not be negative.");
        }

        return (limit, offset);
    }
}
