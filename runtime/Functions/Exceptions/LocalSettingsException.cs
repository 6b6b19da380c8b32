namespace Serverless.Functions;

/// <summary>local.settings.json cannot be used; <see cref="Path"/> is the JSON path of the bad value.</summary>
public sealed class LocalSettingsException : FunctionsHostException
{
    /// <summary>Initializes a new instance of the <see cref="LocalSettingsException"/> class.</summary>
    public LocalSettingsException(string path, string message, Exception? innerException = null)
        : base($"local.settings.json: {path}: {message}", innerException)
    {
        Path = path;
    }

    /// <summary>Gets the JSON path of the bad value.</summary>
    public string Path { get; }
}
