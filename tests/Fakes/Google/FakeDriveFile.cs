namespace CompanyHub.Fakes.Google;

/// <summary>A file of a fake Drive as it is now.</summary>
/// <param name="Text">A Doc's body text (without the final newline Docs adds).</param>
/// <param name="Parent">The folder it was created in, if any.</param>
/// <param name="AppProperties">The app properties it was created with.</param>
public sealed record FakeDriveFile(string Owner, string Id, string Name, string MimeType, string Text, string? Parent, IReadOnlyDictionary<string, string> AppProperties);
