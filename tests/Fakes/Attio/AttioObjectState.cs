namespace CompanyHub.Fakes.Attio;

/// <summary>An object of the fake (people, companies, deals, or a custom one).</summary>
internal sealed class AttioObjectState
{
    public required string Slug { get; init; }

    public required string Id { get; init; }

    public required Dictionary<string, FakeAttioAttribute> Attributes { get; init; }
}
