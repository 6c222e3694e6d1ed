"""Share your story: informed consent, one purpose at a time, anonymous by default."""

from stories.consent import consent_text
from web.layout import start_page
from web.story_flow import (before_step, consent_step, contact_step, current_step, progress_line,
                            receipt_step, review_step, story_step)

runtime, _, language = start_page("Share your story")
text = consent_text(language)
step = current_step()
if step not in ("before", "receipt"):
    progress_line(_)
if step == "before":
    before_step(text, _)
elif step == "story":
    story_step(runtime, language, _)
elif step == "consent":
    consent_step(text, _)
elif step == "contact":
    contact_step(_)
elif step == "review":
    review_step(runtime, text, language, _)
else:
    receipt_step(_)
