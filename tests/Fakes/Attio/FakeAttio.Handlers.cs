using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Attio;

public sealed partial class FakeAttio
{
    private IResult Query(string objectSlug, JsonObject body)
    {
        var obj = FindObject(objectSlug);
        var limit = body["limit"]?.GetValue<int>() ?? 500;
        var offset = body["offset"]?.GetValue<int>() ?? 0;
        if (limit is < 1 or > 500 || offset < 0)
        {
            throw AttioFakeException.Validation("limit must be between 1 and 500 and offset must not be negative.");
        }

        AttioFilter.Validate(body["filter"], obj);
        IEnumerable<AttioRecordState> records = _records.Where(r => r.ObjectSlug == obj.Slug).Where(r => AttioFilter.Matches(body["filter"], r, obj)).ToList();
        if (body["sorts"] is JsonArray sorts)
        {
            IOrderedEnumerable<AttioRecordState>? ordered = null;
            foreach (var sort in sorts.OfType<JsonObject>())
            {
                var attribute = sort["attribute"]?.GetValue<string>() ?? throw AttioFakeException.Validation("A sort needs an attribute.");
                if (!obj.Attributes.ContainsKey(attribute))
                {
                    throw new AttioFakeException(400, "filter_error", $"Unknown attribute slug: {attribute}");
                }

                var field = sort["field"]?.GetValue<string>();
                string? Key(AttioRecordState r) => r.Current(attribute).Select(v => field is null ? AttioValueWriter.Main(v) : v[field]?.ToString()).FirstOrDefault();
                var descending = sort["direction"]?.GetValue<string>() == "desc";
                ordered = ordered is null
                    ? descending ? records.OrderByDescending(Key, StringComparer.OrdinalIgnoreCase) : records.OrderBy(Key, StringComparer.OrdinalIgnoreCase)
                    : descending ? ordered.ThenByDescending(Key, StringComparer.OrdinalIgnoreCase) : ordered.ThenBy(Key, StringComparer.OrdinalIgnoreCase);
            }

            records = ordered ?? records;
        }
        else
        {
            records = records.OrderBy(r => r.CreatedAt);
        }

        return Json(new JsonObject { ["data"] = new JsonArray(records.Skip(offset).Take(limit).Select(r => (JsonNode)RecordJson(r)).ToArray()) });
    }

    private IResult Get(string objectSlug, string recordId)
    {
        var obj = FindObject(objectSlug);
        return Json(new JsonObject { ["data"] = RecordJson(FindRecord(obj, recordId)) });
    }

    private IResult Create(string objectSlug, JsonObject body)
    {
        var obj = FindObject(objectSlug);
        var record = CreateLocked(obj, Values(body));
        return Json(new JsonObject { ["data"] = RecordJson(record) });
    }

    private IResult Update(string objectSlug, string recordId, JsonObject body, bool overwrite = false)
    {
        var obj = FindObject(objectSlug);
        var record = FindRecord(obj, recordId);
        Write(obj, record, Values(body), overwrite);
        return Json(new JsonObject { ["data"] = RecordJson(record) });
    }

    private IResult Assert(string objectSlug, string matchingAttribute, JsonObject body)
    {
        var obj = FindObject(objectSlug);
        if (matchingAttribute.Length == 0)
        {
            throw AttioFakeException.Validation("The matching_attribute query parameter is required.");
        }

        if (!obj.Attributes.TryGetValue(matchingAttribute, out var attribute))
        {
            throw new AttioFakeException(404, "not_found", $"Attribute with slug/ID \"{matchingAttribute}\" not found.");
        }

        if (!attribute.IsUnique)
        {
            throw AttioFakeException.Validation($"The matching attribute \"{matchingAttribute}\" must be unique.");
        }

        var values = Values(body);
        if (!values.TryGetPropertyValue(matchingAttribute, out var matchNode))
        {
            throw AttioFakeException.Validation($"The values must include the matching attribute \"{matchingAttribute}\".");
        }

        var wanted = AttioValueWriter.Values(attribute, matchNode, RecordExists).Select(AttioValueWriter.Main).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var existing = _records.Where(r => r.ObjectSlug == obj.Slug)
            .Where(r => r.Current(matchingAttribute).Any(v => wanted.Contains(AttioValueWriter.Main(v) ?? string.Empty)))
            .ToList();
        if (existing.Count > 1)
        {
            throw new AttioFakeException(400, "multiple_match_results", $"Multiple records match the value of \"{matchingAttribute}\".");
        }

        AttioRecordState record;
        if (existing.Count == 1)
        {
            record = existing[0];
            Write(obj, record, values, overwrite: true);
        }
        else
        {
            record = CreateLocked(obj, values);
        }

        return Json(new JsonObject { ["data"] = RecordJson(record) });
    }

    private IResult CreateNote(JsonObject body)
    {
        var data = body["data"] as JsonObject ?? throw AttioFakeException.Validation("Body payload validation error: data is required.");
        var parentObject = data["parent_object"]?.GetValue<string>() ?? throw AttioFakeException.Validation("data.parent_object is required.");
        var parentRecordId = data["parent_record_id"]?.GetValue<string>() ?? throw AttioFakeException.Validation("data.parent_record_id is required.");
        var title = data["title"]?.GetValue<string>() ?? throw AttioFakeException.Validation("data.title is required.");
        var format = data["format"]?.GetValue<string>() ?? throw AttioFakeException.Validation("data.format is required.");
        var content = data["content"]?.GetValue<string>() ?? throw AttioFakeException.Validation("data.content is required.");
        if (format is not ("plaintext" or "markdown"))
        {
            throw AttioFakeException.Validation($"data.format must be \"plaintext\" or \"markdown\", not \"{format}\".");
        }

        FindRecord(FindObject(parentObject), parentRecordId);
        var note = new JsonObject
        {
            ["id"] = new JsonObject { ["workspace_id"] = WorkspaceId, ["note_id"] = Guid.NewGuid().ToString() },
            ["parent_object"] = parentObject,
            ["parent_record_id"] = parentRecordId,
            ["title"] = title,
            ["meeting_id"] = null,
            ["content_plaintext"] = content,
            ["content_markdown"] = content,
            ["tags"] = new JsonArray(),
            ["created_by_actor"] = new JsonObject { ["type"] = "api-token", ["id"] = TokenActorId },
            ["created_at"] = Timestamp(DateTimeOffset.UtcNow),
        };
        _notes.Add(note);
        return Json(new JsonObject { ["data"] = note.DeepClone() });
    }

    /// <summary>DELETE /v2/notes/{id} and /v2/tasks/{id}: Attio answers 200 with an empty object, or 404 for an unknown id.</summary>
    private IResult Delete(List<JsonObject> items, string idField, string id, string what)
    {
        var item = items.FirstOrDefault(i => i["id"]?[idField]?.GetValue<string>() == id)
            ?? throw new AttioFakeException(404, "not_found", $"{what} with ID \"{id}\" not found.");
        items.Remove(item);
        return Json(new JsonObject());
    }

    private IResult CreateTask(JsonObject body)
    {
        var data = body["data"] as JsonObject ?? throw AttioFakeException.Validation("Body payload validation error: data is required.");
        foreach (var required in new[] { "content", "format", "deadline_at", "is_completed", "linked_records", "assignees" })
        {
            if (!data.ContainsKey(required))
            {
                throw AttioFakeException.Validation($"Body payload validation error: data.{required} is required.");
            }
        }

        if (data["format"]?.GetValue<string>() != "plaintext")
        {
            throw AttioFakeException.Validation("Tasks can only be created from plaintext.");
        }

        var content = data["content"]?.GetValue<string>() ?? throw AttioFakeException.Validation("data.content must be a string.");
        if (data["deadline_at"] is { } deadline && !DateTimeOffset.TryParse(deadline.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out _))
        {
            throw AttioFakeException.Validation("data.deadline_at must be an ISO 8601 timestamp or null.");
        }

        var linked = new JsonArray();
        foreach (var link in (data["linked_records"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var target = link["target_object"]?.GetValue<string>() ?? throw AttioFakeException.Validation("linked_records[].target_object is required.");
            var recordId = link["target_record_id"]?.GetValue<string>() ?? throw AttioFakeException.Validation("linked_records[].target_record_id is required.");
            var obj = FindObject(target);
            FindRecord(obj, recordId);
            linked.Add(new JsonObject { ["target_object_id"] = obj.Id, ["target_record_id"] = recordId });
        }

        var assignees = new JsonArray();
        foreach (var assignee in (data["assignees"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var memberId = assignee["workspace_member_email_address"]?.GetValue<string>() is { } email
                ? _members.GetValueOrDefault(email)
                : assignee["referenced_actor_id"]?.GetValue<string>() is { } id && _members.ContainsValue(id) ? id : null;
            if (memberId is null)
            {
                throw new AttioFakeException(404, "not_found", "Workspace member not found.");
            }

            assignees.Add(new JsonObject { ["referenced_actor_type"] = "workspace-member", ["referenced_actor_id"] = memberId });
        }

        var task = new JsonObject
        {
            ["id"] = new JsonObject { ["workspace_id"] = WorkspaceId, ["task_id"] = Guid.NewGuid().ToString() },
            ["content_plaintext"] = content,
            ["deadline_at"] = data["deadline_at"]?.DeepClone(),
            ["is_completed"] = data["is_completed"]?.GetValueKind() == JsonValueKind.True,
            ["linked_records"] = linked,
            ["assignees"] = assignees,
            ["created_by_actor"] = new JsonObject { ["type"] = "api-token", ["id"] = TokenActorId },
            ["created_at"] = Timestamp(DateTimeOffset.UtcNow),
        };
        _tasks.Add(task);
        return Json(new JsonObject { ["data"] = task.DeepClone() });
    }

    private static JsonObject Values(JsonObject body) =>
        body["data"]?["values"] as JsonObject ?? throw AttioFakeException.Validation("Body payload validation error: data.values is required.");

    private AttioRecordState CreateLocked(AttioObjectState obj, JsonObject values)
    {
        var record = new AttioRecordState { Id = Guid.NewGuid().ToString(), ObjectSlug = obj.Slug, CreatedAt = DateTimeOffset.UtcNow };
        Write(obj, record, values, overwrite: true);
        _records.Add(record);
        return record;
    }

    /// <summary>Writes values: multi-value attributes gain new values (PATCH) or are replaced (create, assert); single ones are replaced.</summary>
    private void Write(AttioObjectState obj, AttioRecordState record, JsonObject values, bool overwrite)
    {
        var staged = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var (slug, node) in values)
        {
            if (!obj.Attributes.TryGetValue(slug, out var attribute))
            {
                throw new AttioFakeException(400, "value_not_found", $"Cannot find attribute with slug/ID \"{slug}\".");
            }

            var written = AttioValueWriter.Values(attribute, node, RecordExists);
            if (attribute.IsUnique)
            {
                foreach (var main in written.Select(AttioValueWriter.Main))
                {
                    if (_records.Any(r => r != record && r.ObjectSlug == obj.Slug && r.Current(slug).Any(v => string.Equals(AttioValueWriter.Main(v), main, StringComparison.OrdinalIgnoreCase))))
                    {
                        throw new AttioFakeException(400, "uniqueness_conflict", $"A record with the value \"{main}\" for the unique attribute \"{slug}\" already exists.");
                    }
                }
            }

            staged[slug] = written;
        }

        var now = Timestamp(DateTimeOffset.UtcNow);
        foreach (var (slug, written) in staged)
        {
            var attribute = obj.Attributes[slug];
            if (!record.Values.TryGetValue(slug, out var stored))
            {
                record.Values[slug] = stored = [];
            }

            if (attribute.IsMultiselect && !overwrite)
            {
                var present = record.Current(slug).Select(AttioValueWriter.Main).ToHashSet(StringComparer.OrdinalIgnoreCase);
                stored.AddRange(written.Where(w => !present.Contains(AttioValueWriter.Main(w) ?? string.Empty)));
                continue;
            }

            // Replaced values stay as history, ended now (the API answers current values only).
            foreach (var old in record.Current(slug).ToList())
            {
                old["active_until"] = now;
            }

            stored.AddRange(written);
        }
    }

    private bool RecordExists(string objectSlug, string recordId) =>
        _records.Any(r => r.ObjectSlug == objectSlug && r.Id == recordId);

    private AttioObjectState FindObject(string slug) =>
        _objects.TryGetValue(slug, out var obj) ? obj
        : _objects.Values.FirstOrDefault(o => o.Id == slug) ?? throw new AttioFakeException(404, "not_found", $"Object with slug/ID \"{slug}\" not found.");

    private AttioRecordState FindRecord(AttioObjectState obj, string recordId) =>
        _records.FirstOrDefault(r => r.ObjectSlug == obj.Slug && r.Id == recordId)
        ?? throw new AttioFakeException(404, "not_found", $"Record with ID \"{recordId}\" not found.");

    private JsonObject RecordJson(AttioRecordState record)
    {
        var obj = _objects[record.ObjectSlug];
        var values = new JsonObject();
        foreach (var slug in obj.Attributes.Keys)
        {
            values[slug] = new JsonArray(record.Current(slug).Select(v => v.DeepClone()).ToArray());
        }

        return new JsonObject
        {
            ["id"] = new JsonObject { ["workspace_id"] = WorkspaceId, ["object_id"] = obj.Id, ["record_id"] = record.Id },
            ["created_at"] = Timestamp(record.CreatedAt),
            ["web_url"] = $"https://app.attio.com/fake-workspace/{obj.Slug}/{record.Id}",
            ["values"] = values,
        };
    }
}
