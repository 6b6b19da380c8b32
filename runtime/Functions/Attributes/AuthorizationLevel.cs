namespace Serverless.Functions;

/// <summary>Who may call an HTTP-triggered function.</summary>
public enum AuthorizationLevel
{
    /// <summary>Anyone; no key or token is needed.</summary>
    Anonymous = 0,

    /// <summary>A caller with the user credential the security layer accepts (see <see cref="Security.IFunctionsAuthorizationHandler"/>), or the host key.</summary>
    User = 1,

    /// <summary>A caller with a function key; this host has one key, the host (admin) key.</summary>
    Function = 2,

    /// <summary>A caller with the host (admin) key, or an admin credential the security layer accepts.</summary>
    Admin = 4,
}
