namespace Serverless.Functions;

/// <summary>
/// Binds an HTTP function parameter to the JSON request body. Optional: a parameter of a complex type that is
/// not a route value is bound from the body anyway.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class FromBodyAttribute : Attribute
{
}
