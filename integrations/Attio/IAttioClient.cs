using System.Text.Json.Nodes;

namespace CompanyHub.Integrations.Attio;

/// <summary>
/// The Attio REST API v2 with the company's key. Attribute values are written in Attio's own shape, for example
/// <c>{"email_addresses": ["ada@example.com"], "name": [{"first_name": "Ada", "last_name": "Lovelace", "full_name": "Ada Lovelace"}]}</c>.
/// </summary>
public interface IAttioClient
{
    /// <summary>Gets a value indicating whether <c>ATTIO_API_KEY</c> is set.</summary>
    bool IsConfigured { get; }

    /// <summary>Lists records of an object, with Attio's filter (shorthand or verbose) and sorts JSON.</summary>
    Task<IReadOnlyList<AttioRecord>> QueryRecordsAsync(
        string objectSlug, JsonObject? filter = null, JsonArray? sorts = null, int limit = 25, int offset = 0,
        CancellationToken cancellationToken = default);

    /// <summary>Reads one record.</summary>
    Task<AttioRecord> GetRecordAsync(string objectSlug, string recordId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads the current values of the named attributes of a record in the shape Attio takes when writing them (an
    /// attribute without a value is an empty array), so that an update can be undone with <see cref="ReplaceRecordValuesAsync"/>.
    /// </summary>
    Task<JsonObject> GetRecordValuesAsync(string objectSlug, string recordId, IEnumerable<string> attributes, CancellationToken cancellationToken = default);

    /// <summary>Creates a record.</summary>
    Task<AttioRecord> CreateRecordAsync(string objectSlug, JsonObject values, CancellationToken cancellationToken = default);

    /// <summary>Updates a record; values of multi-value attributes are added to the existing ones (PATCH semantics).</summary>
    Task<AttioRecord> UpdateRecordAsync(string objectSlug, string recordId, JsonObject values, CancellationToken cancellationToken = default);

    /// <summary>Updates a record, replacing the values of multi-value attributes (PUT semantics): <c>[]</c> clears an attribute.</summary>
    Task<AttioRecord> ReplaceRecordValuesAsync(string objectSlug, string recordId, JsonObject values, CancellationToken cancellationToken = default);

    /// <summary>Creates the record, or updates the one whose unique <paramref name="matchingAttribute"/> has the given value.</summary>
    Task<AttioRecord> AssertRecordAsync(string objectSlug, string matchingAttribute, JsonObject values, CancellationToken cancellationToken = default);

    /// <summary>Attaches a note to a record.</summary>
    Task<AttioNote> CreateNoteAsync(AttioNoteDraft note, CancellationToken cancellationToken = default);

    /// <summary>Creates a task.</summary>
    Task<AttioTask> CreateTaskAsync(AttioTaskDraft task, CancellationToken cancellationToken = default);

    /// <summary>Deletes a note.</summary>
    Task DeleteNoteAsync(string noteId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a task.</summary>
    Task DeleteTaskAsync(string taskId, CancellationToken cancellationToken = default);

    /// <summary>Lists tasks, newest first: all, open or completed ones, optionally only those linked to a record.</summary>
    Task<IReadOnlyList<AttioTask>> ListTasksAsync(
        bool? isCompleted = null, AttioRecordReference? linkedTo = null, int limit = 25, int offset = 0, CancellationToken cancellationToken = default);

    /// <summary>Marks a task completed (or open again).</summary>
    Task<AttioTask> SetTaskCompletedAsync(string taskId, bool isCompleted, CancellationToken cancellationToken = default);

    /// <summary>Lists notes (Attio's order), optionally only those of one record; at most 50.</summary>
    Task<IReadOnlyList<AttioNote>> ListNotesAsync(AttioRecordReference? parent = null, int limit = 10, int offset = 0, CancellationToken cancellationToken = default);
}
