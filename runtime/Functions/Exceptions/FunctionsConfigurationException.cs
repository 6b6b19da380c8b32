namespace Serverless.Functions;

/// <summary>An app setting the host needs is invalid; <see cref="Setting"/> names it.</summary>
public sealed class FunctionsConfigurationException : FunctionsHostException
{
    /// <summary>Initializes a new instance of the <see cref="FunctionsConfigurationException"/> class.</summary>
    public FunctionsConfigurationException(string setting, string message)
        : base($"Setting '{setting}': {message}")
    {
        Setting = setting;
    }

    /// <summary>Gets the setting name.</summary>
    public string Setting { get; }
}
