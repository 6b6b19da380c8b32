using CompanyHub.Integrations.Google;

namespace CompanyHub.Integrations.Tests.Google;

/// <summary>Which scopes a person still has to grant: the drafts' gmail.compose came after the first sign-ins.</summary>
public sealed class GoogleScopesTests
{
    private static readonly GoogleOptions Options = new() { ClientId = "id", ClientSecret = "secret", CalendarEnabled = true };

    [Fact]
    public void SignInAsksForCompose_WithTheOtherGmailScopes()
    {
        Assert.Contains(GoogleScopes.GmailCompose, GoogleScopes.ForHub(Options));
        Assert.Contains(GoogleScopes.GmailCompose, GoogleScopes.ForHub(calendarEnabled: false));
    }

    [Fact]
    public void ASignInBeforeCompose_LacksOnlyCompose_WhetherItsScopesWereRecordedOrNot()
    {
        string[] before = ["openid", GoogleScopes.UserInfoEmail, GoogleScopes.GmailReadonly, GoogleScopes.GmailSend, GoogleScopes.CalendarEvents, GoogleScopes.CalendarFreeBusy];

        Assert.Equal([GoogleScopes.GmailCompose], GoogleScopes.Missing(before, Options));
        Assert.Equal([GoogleScopes.GmailCompose], GoogleScopes.Missing(null, Options));
        Assert.Empty(GoogleScopes.Missing([.. GoogleScopes.ForHub(Options)], Options));
    }
}
