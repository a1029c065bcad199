using Connect.Runtime.Authentication;
using Connect.Shared.Access;
using Connect.Shared.Users;

namespace Connect.Runtime.Api;

/// <summary>
/// A route's group (<c>{guid}</c>), loaded once and checked against <see cref="GroupRules.CanChange"/> before its
/// handler runs: a handler that takes it never sees a group its caller may not change (its creator or an administrator).
/// </summary>
internal sealed class RoutedGroup
{
    private readonly UserGroup? _group;

    private RoutedGroup(UserGroup? group, IResult? refusal)
    {
        _group = group;
        Refusal = refusal;
    }

    /// <summary>The group (the route's filter has answered the refusal before the handler could ask otherwise).</summary>
    public UserGroup Group => _group ?? throw new InvalidOperationException("the group was refused; the route's filter answers before the handler runs");

    internal IResult? Refusal { get; }

    /// <summary>Minimal APIs' binding: reads <c>{guid}</c>, loads the group and checks that the caller may change it.</summary>
    public static async ValueTask<RoutedGroup?> BindAsync(HttpContext context)
    {
        var guid = context.Request.RouteValues["guid"] as string
            ?? throw new InvalidOperationException("a handler takes RoutedGroup only on a route that names its group with {guid}");
        var group = await context.RequestServices.GetRequiredService<GroupRepository>().FindByGuidAsync(guid, context.RequestAborted);
        return group is null ? new RoutedGroup(null, ApiErrors.NotFound($"group {guid} does not exist"))
            : GroupRules.CanChange(Caller.From(context.User), group) ? new RoutedGroup(group, null)
            : new RoutedGroup(null, ApiErrors.Forbidden($"only the group's creator or an administrator may change group {guid}"));
    }
}

internal static class GroupRouteAccess
{
    /// <summary>The route's handler takes a <see cref="RoutedGroup"/>; a caller who may not change it gets the refusal instead.</summary>
    public static TBuilder RequireGroupChange<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            context.Arguments.OfType<RoutedGroup>().FirstOrDefault() is { Refusal: { } refusal } ? refusal : await next(context));
}
