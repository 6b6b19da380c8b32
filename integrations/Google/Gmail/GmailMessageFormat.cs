namespace CompanyHub.Integrations.Google.Gmail;

/// <summary>How much of a message <see cref="IGmailClient.GetMessageAsync"/> reads.</summary>
public enum GmailMessageFormat
{
    /// <summary>Headers and the text body (<c>format=full</c>).</summary>
    Full,

    /// <summary>Headers and snippet only (<c>format=metadata</c>): cheaper, no body.</summary>
    Metadata,
}
