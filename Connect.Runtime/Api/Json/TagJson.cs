using Connect.Shared.Content;

namespace Connect.Runtime.Api.Json;

/// <summary>A tag as the reference shows it: ids as strings.</summary>
internal static class TagJson
{
    public static object From(Tag t) => new
    {
        id = t.Id.ToString(),
        name = t.Name,
        parent_id = t.ParentId?.ToString(),
        created_time = t.CreatedAt,
        updated_time = t.UpdatedAt,
    };
}
