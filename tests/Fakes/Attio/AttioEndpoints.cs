namespace CompanyHub.Fakes.Attio;

/// <summary>The endpoint names <see cref="FakeAttio"/> records requests under.</summary>
public static class AttioEndpoints
{
    public const string RecordsQuery = "attio.records.query";
    public const string RecordsGet = "attio.records.get";
    public const string RecordsCreate = "attio.records.create";
    public const string RecordsUpdate = "attio.records.update";
    public const string RecordsReplace = "attio.records.replace";
    public const string RecordsAssert = "attio.records.assert";
    public const string NotesCreate = "attio.notes.create";
    public const string TasksCreate = "attio.tasks.create";
    public const string NotesDelete = "attio.notes.delete";
    public const string TasksDelete = "attio.tasks.delete";
    public const string TasksList = "attio.tasks.list";
    public const string TasksUpdate = "attio.tasks.update";
    public const string NotesList = "attio.notes.list";
}
