"""Raw file → article: decoding, cleaning (pinyin, garbles, page furniture), structure with raw offsets."""
