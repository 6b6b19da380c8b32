namespace CompanyHub.Fakes.Notion;

/// <summary>A request the fake refuses, with Notion's status, code and message.</summary>
internal sealed class NotionFakeException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public static NotionFakeException Validation(string message) => new(400, "validation_error", message);

    public static NotionFakeException NotFound(string kind, string id) =>
        new(404, "object_not_found", $"Could not find {kind} with ID: {id}. Make sure the relevant pages and databases are shared with your integration.");
}
