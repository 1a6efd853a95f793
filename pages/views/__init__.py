"""Views: the pieces pages are made of. Each module is one view or one page-layer concern, takes plain
values in and draws; pages are short storyboards of calls to them. Nothing here is a page of its own."""
