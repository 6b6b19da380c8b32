using Microsoft.Azure.Functions.Worker;

namespace Serverless.Functions.Security;

/// <summary>
/// Decides whether a request may call a function (or the management API) at its <see cref="AuthorizationLevel"/>.
/// The host asks every registered handler in registration order; the first that allows or denies decides. When
/// none decides, the request gets 401. The host registers one handler itself, first: the host (admin) key from
/// <c>x-functions-key</c> or <c>?code=</c>, which satisfies every level. Register more with
/// <c>services.AddSingleton&lt;IFunctionsAuthorizationHandler, MyHandler&gt;()</c> (user tokens, admin bearer tokens).
/// <see cref="AuthorizationLevel.Anonymous"/> functions are never checked.
/// </summary>
public interface IFunctionsAuthorizationHandler
{
    /// <summary>Allows, denies, or leaves the decision to the next handler.</summary>
    ValueTask<FunctionsAuthorizationResult> AuthorizeAsync(FunctionsAuthorizationContext context);
}
