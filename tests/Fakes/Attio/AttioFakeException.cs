namespace CompanyHub.Fakes.Attio;

/// <summary>A request the fake refuses, with Attio's status, type, code and message.</summary>
internal sealed class AttioFakeException(int status, string code, string message, string type = "invalid_request_error") : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    public string Type { get; } = type;

    public static AttioFakeException Validation(string message) => new(400, "validation_type", message);
}
