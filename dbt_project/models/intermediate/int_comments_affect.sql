-- Every current comment with the emotion and stance of its latest labelled crawl, its language and
-- commenter group, and the topic group of the note it answers: the comment-level table of Li et al.
with comments as (
    select * from {{ ref('int_comments_current') }}
),

emotion as (
    {{ label_of_current_crawl(
        'comments', ref('stg_enrich__comment_emotion'), ['emotion', 'language', 'commenter_group'], key='comment_id'
    ) }}
),

stance as (
    {{ label_of_current_crawl('comments', ref('stg_enrich__comment_stance'), ['stance'], key='comment_id') }}
),

notes as (
    select
        note_id,
        code,
        topic_group
    from {{ ref('int_notes_labelled') }}
)

select
    comments.comment_id,
    comments.note_id,
    comments.created_at,
    emotion.language,
    emotion.commenter_group,
    emotion.emotion,
    stance.stance,
    notes.code,
    notes.topic_group
from comments
inner join emotion using (comment_id)
inner join stance using (comment_id)
left join notes using (note_id)
