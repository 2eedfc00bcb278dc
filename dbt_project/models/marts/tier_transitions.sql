-- Feng et al. Figure 3: the Sankey of users' tiers from one phase to the next. Every author in the study
-- appears in every step; an author without a tier in a phase (no or too few notes) is inactive there.
with tiers as (
    select
        author_key,
        phase,
        tier
    from {{ ref('stg_analysis__user_influence') }}
    where phase in ('pre_ban', 'surge', 'stabilization')
),

users as (
    select author_key from {{ ref('int_author_phase_activity') }}
    where phase = 'all'
    union
    select author_key from tiers
),

steps as (
    select
        'pre_ban' as from_phase,
        'surge' as to_phase
    union all
    select
        'surge' as from_phase,
        'stabilization' as to_phase
),

flows as (
    select
        steps.from_phase,
        coalesce(from_tiers.tier, 'inactive') as from_tier,
        steps.to_phase,
        coalesce(to_tiers.tier, 'inactive') as to_tier
    from users
    cross join steps
    left join tiers as from_tiers
        on users.author_key = from_tiers.author_key and steps.from_phase = from_tiers.phase
    left join tiers as to_tiers
        on users.author_key = to_tiers.author_key and steps.to_phase = to_tiers.phase
    where users.author_key is not null
)

select
    from_phase::varchar as from_phase,
    from_tier::varchar as from_tier,
    to_phase::varchar as to_phase,
    to_tier::varchar as to_tier,
    count(*)::bigint as users
from flows
group by all
order by from_phase, from_tier, to_tier
