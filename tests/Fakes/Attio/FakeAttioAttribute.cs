namespace CompanyHub.Fakes.Attio;

/// <summary>An attribute of a fake object.</summary>
/// <param name="Slug">The attribute's slug, such as <c>email_addresses</c>.</param>
/// <param name="Type">Attio's attribute type: <c>text</c>, <c>number</c>, <c>checkbox</c>, <c>currency</c>, <c>date</c>,
/// <c>timestamp</c>, <c>rating</c>, <c>status</c>, <c>select</c>, <c>record-reference</c>, <c>actor-reference</c>,
/// <c>location</c>, <c>domain</c>, <c>email-address</c>, <c>phone-number</c>, <c>personal-name</c>.</param>
/// <param name="IsMultiselect">Whether it holds several values.</param>
/// <param name="IsUnique">Whether two records may not share a value (usable for assert).</param>
/// <param name="Options">The titles of a select's options or a status's statuses.</param>
public sealed record FakeAttioAttribute(string Slug, string Type, bool IsMultiselect = false, bool IsUnique = false, IReadOnlyList<string>? Options = null);
