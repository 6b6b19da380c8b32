namespace CompanyHub.Functions;

/// <summary>
/// Where the hub prints what the operator reads once at start-up — the admin link, the recovery key made at a first
/// start — outside the log pipeline: standard output, unless the host registers another writer (the tests do).
/// </summary>
public sealed class HubConsole(TextWriter output)
{
    public TextWriter Out { get; } = output;
}
